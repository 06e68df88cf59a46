import { useEffect, useState } from "preact/hooks";
import { Api } from "./api";
import { formats } from "./format";
import { detectHost, type Host, type HostContext } from "./host";
import { AdminPage } from "./pages/AdminPage";
import { AssetsPage } from "./pages/AssetsPage";
import { describe, IssuePanel } from "./pages/IssuePanel";

type Boot =
  | { state: "starting" }
  | { state: "failed"; message: string }
  | { state: "ready"; host: Host; context: HostContext; api: Api };

/** Finds the host, reads its context, applies its theme, then shows the page it asked for. */
export function App({ host: given }: { host?: Host }) {
  const [boot, setBoot] = useState<Boot>({ state: "starting" });
  useEffect(() => {
    (async () => {
      const host = given ?? (await detectHost());
      const [context] = await Promise.all([host.context(), host.enableTheme().catch(() => {})]);
      document.documentElement.lang = context.locale;
      setBoot({ state: "ready", host, context, api: new Api(host) });
    })().catch((error: unknown) => setBoot({ state: "failed", message: describe(error) }));
  }, [given]);

  if (boot.state === "starting") {
    return <p class="amj-subtle">Loading…</p>;
  }
  if (boot.state === "failed") {
    return (
      <div class="amj-error" role="alert">
        <p>Asset Management could not start: {boot.message}</p>
      </div>
    );
  }
  const { host, context, api } = boot;
  switch (context.page) {
    case "issue-panel":
      return context.issue ? (
        <IssuePanel api={api} host={host} issue={context.issue} />
      ) : (
        <p role="alert">This panel belongs on an issue; Jira did not say which one.</p>
      );
    case "assets":
      return (
        <AssetsPage api={api} host={host} formats={formats(context.locale, context.timeZone)} />
      );
    case "admin":
      return (
        <AdminPage api={api} host={host} formats={formats(context.locale, context.timeZone)} />
      );
  }
}
