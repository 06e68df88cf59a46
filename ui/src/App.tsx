import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Api } from "./api";
import { type Formats, formats } from "./format";
import { detectHost, type Host, type HostContext } from "./host";
import type { PageName } from "./host/types";
import { describe } from "./messages";

/** What every page is given. */
export interface PageProps {
  api: Api;
  host: Host;
  context: HostContext;
  formats: Formats;
}

/**
 * Each page is its own chunk, loaded once the host said which page it is: a frame shows one
 * page, so the first view carries only that page's code (docs/PERFORMANCE.md, first view).
 */
const PAGES: Record<PageName, () => Promise<ComponentType<PageProps>>> = {
  "issue-panel": async () => (await import("./pages/IssuePanel")).IssuePanelPage,
  assets: async () => (await import("./pages/AssetsPage")).AssetsPage,
  admin: async () => (await import("./pages/AdminPage")).AdminPage,
  gadget: async () => (await import("./pages/GadgetPage")).GadgetPage,
  "field-view": async () => (await import("./pages/AssetField")).AssetFieldView,
  "field-edit": async () => (await import("./pages/AssetField")).AssetFieldEdit,
  "field-config": async () => (await import("./pages/AssetField")).AssetFieldConfig,
};

type Boot =
  | { state: "starting" }
  | { state: "failed"; message: string }
  | { state: "ready"; page: ComponentType<PageProps>; props: PageProps };

/** Finds the host, reads its context, applies its theme, then shows the page it asked for. */
export function App({ host: given }: { host?: Host }) {
  const [boot, setBoot] = useState<Boot>({ state: "starting" });
  useEffect(() => {
    (async () => {
      const host = given ?? (await detectHost());
      const [context] = await Promise.all([host.context(), host.enableTheme().catch(() => {})]);
      document.documentElement.lang = context.locale;
      const page = await PAGES[context.page]();
      const props = {
        api: new Api(host),
        host,
        context,
        formats: formats(context.locale, context.timeZone),
      };
      setBoot({ state: "ready", page, props });
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
  const Page = boot.page;
  return <Page {...boot.props} />;
}
