import { useEffect, useRef, useState } from "preact/hooks";
import { type Api, ApiError, type Asset, type AttributeDef, type Status } from "../api";
import { type Formats, valueText } from "../format";
import { describe } from "../messages";
import { AttributeField, fromDraft, toDraft } from "../pages/AssetForm";
import { actorLabel, usePeople } from "../people";

/**
 * One attribute edited in place: its control, saved with the version the page read (PATCH of
 * that attribute only). If someone saved the asset since, the 409 shows their value and who
 * saved it, and the person keeps theirs or overwrites with their own. Escape cancels; focus
 * goes back to the attribute's Edit button.
 */
export function InlineEdit({
  api,
  asset,
  attribute,
  statuses,
  formats,
  onSaved,
  onClose,
}: {
  api: Api;
  asset: Asset;
  attribute: AttributeDef;
  statuses: Status[];
  formats: Formats;
  onSaved: (asset: Asset) => void;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState(toDraft(attribute, asset.attributes[attribute.name]));
  const [error, setError] = useState<string | undefined>(undefined);
  const [conflict, setConflict] = useState<Asset | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const names = usePeople(api, conflict ? [conflict.updated.by] : []);
  const id = "amj-inline-field";

  useEffect(() => {
    form.current?.querySelector<HTMLElement>(`#${id}, #${id} input`)?.focus();
  }, []);

  const save = async (version: number) => {
    setBusy(true);
    setError(undefined);
    try {
      const value = fromDraft(attribute, draft);
      const saved = await api.patchAsset(asset.key, {
        version,
        attributes: { [attribute.name]: value === undefined ? null : value },
      });
      onSaved(saved);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 409) {
        try {
          setConflict(await api.asset(asset.key));
        } catch (reload) {
          setError(
            `Someone saved ${asset.key} meanwhile, and it could not be reloaded: ${describe(reload)}`,
          );
        }
      } else if (caught instanceof ApiError && caught.fields.length > 0) {
        setError(caught.fields.map((f) => f.message).join(" "));
      } else {
        setError(`Could not save: ${describe(caught)}`);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      ref={form}
      class="amj-inline"
      id="amj-inline"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void save(conflict?.version ?? asset.version);
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onClose();
        }
      }}
    >
      <AttributeField
        api={api}
        id={id}
        attribute={attribute}
        statuses={statuses}
        value={draft}
        error={error}
        onChange={setDraft}
      />
      {conflict && (
        <div id="amj-inline-conflict" class="amj-error" role="alert">
          <p>
            {conflict.key} was changed by {actorLabel(conflict.updated.by, names)}
            {conflict.updated.at ? ` on ${formats.dateTime(conflict.updated.at)}` : ""} after you
            opened it. Their {attribute.name}:{" "}
            <strong>{valueText(conflict.attributes[attribute.name]) || "(empty)"}</strong>.
          </p>
          <button
            type="button"
            id="amj-inline-theirs"
            class="amj-button"
            onClick={() => onSaved(conflict)}
          >
            Keep theirs
          </button>{" "}
          <button
            type="button"
            id="amj-inline-overwrite"
            class="amj-button"
            disabled={busy}
            onClick={() => void save(conflict.version)}
          >
            Overwrite with mine
          </button>
        </div>
      )}
      {!conflict && (
        <>
          <button type="submit" id="amj-inline-save" class="amj-button amj-primary" disabled={busy}>
            Save
          </button>{" "}
        </>
      )}
      <button type="button" id="amj-inline-cancel" class="amj-button" onClick={onClose}>
        Cancel
      </button>
    </form>
  );
}
