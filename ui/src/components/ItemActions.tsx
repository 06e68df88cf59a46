import { useState } from "preact/hooks";
import { describe } from "../messages";

interface Props {
  label: string;
  rename: (name: string) => Promise<void>;
  remove: () => Promise<void>;
}

/**
 * Rename in place (Enter saves, Escape keeps the name) and delete after an inline question, not
 * a browser dialog, which Custom UI frames may not allow. The server refuses what is in use
 * (409); its reason is shown here.
 */
export function ItemActions({ label, rename, remove }: Props) {
  const [mode, setMode] = useState<"idle" | "renaming" | "confirming">("idle");
  const [name, setName] = useState(label);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<void>, what: string) => {
    setError(null);
    try {
      await action();
      setMode("idle");
    } catch (e) {
      setError(`Could not ${what} ${label}: ${describe(e)}`);
    }
  };
  return (
    <span class="amj-actions">
      {mode === "renaming" && (
        <>
          <input
            type="text"
            aria-label={`New name for ${label}`}
            value={name}
            ref={(input) => input?.focus()}
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") {
                e.preventDefault();
                void run(() => rename(name.trim()), "rename");
              } else if (e.key === "Escape") {
                e.preventDefault();
                setMode("idle");
              }
            }}
          />{" "}
          <button
            type="button"
            class="amj-button"
            onClick={() => void run(() => rename(name.trim()), "rename")}
          >
            Save
          </button>
        </>
      )}
      {mode === "confirming" && (
        <>
          <span role="alert">Delete {label}? This cannot be undone.</span>{" "}
          <button
            type="button"
            class="amj-button"
            aria-label={`Yes, delete ${label}`}
            onClick={() => void run(remove, "delete")}
          >
            Delete
          </button>{" "}
          <button
            type="button"
            class="amj-button amj-subtle-button"
            onClick={() => setMode("idle")}
          >
            Keep
          </button>
        </>
      )}
      {mode === "idle" && (
        <>
          <button
            type="button"
            class="amj-button amj-subtle-button"
            aria-label={`Rename ${label}`}
            onClick={() => {
              setName(label);
              setMode("renaming");
            }}
          >
            Rename
          </button>{" "}
          <button
            type="button"
            class="amj-button amj-subtle-button"
            aria-label={`Delete ${label}`}
            onClick={() => setMode("confirming")}
          >
            Delete
          </button>
        </>
      )}
      {error && (
        <span class="amj-field-message" role="alert">
          {" "}
          {error}
        </span>
      )}
    </span>
  );
}
