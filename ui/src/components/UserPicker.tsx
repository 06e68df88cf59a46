import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api";
import { usePeople } from "../people";

interface Props {
  id: string;
  api: Api;
  /** Comma-separated accountIds, as the form keeps them. */
  value: string;
  multiple: boolean;
  describedBy: string;
  invalid: boolean;
  onChange: (value: string) => void;
}

/**
 * Picks Jira people by name: values are accountIds (names and e-mails change and are private),
 * so what people type is turned into accounts by Jira's user search, through our API.
 */
export function UserPicker({ id, api, value, multiple, describedBy, invalid, onChange }: Props) {
  const chosen = value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  const [names, setNames] = useState<Record<string, string>>({});
  // A value the form started with (the viewer, a stored attribute) is named by Jira too.
  const known = usePeople(api, chosen);
  const nameOf = (accountId: string) => names[accountId] ?? known.get(accountId)?.name ?? accountId;
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<{ accountId: string; displayName: string }[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const text = query.trim();
    if (!text) {
      setFound([]);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      api
        .searchUsers(text)
        .then((people) => {
          if (current) {
            setFound(people);
            setError(null);
          }
        })
        .catch(() => current && setError("Jira's user search did not answer."));
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, query]);

  const pick = (person: { accountId: string; displayName: string }) => {
    setNames((n) => ({ ...n, [person.accountId]: person.displayName }));
    const next = multiple
      ? [...chosen.filter((c) => c !== person.accountId), person.accountId]
      : [person.accountId];
    onChange(next.join(", "));
    setQuery("");
    // The chosen person's button leaves with the results: focus goes back to the search, not
    // to the page's start.
    document.getElementById(id)?.focus();
  };
  return (
    <div class="amj-user-picker">
      <ul class="amj-chips" aria-label="Chosen people">
        {chosen.map((accountId) => (
          <li key={accountId}>
            {nameOf(accountId)}{" "}
            <button
              type="button"
              class="amj-button amj-subtle-button"
              aria-label={`Remove ${nameOf(accountId)}`}
              onClick={() => onChange(chosen.filter((c) => c !== accountId).join(", "))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <input
        id={id}
        type="search"
        autocomplete="off"
        placeholder="Search people by name"
        aria-describedby={describedBy}
        aria-invalid={invalid}
        value={query}
        onInput={(e) => setQuery(e.currentTarget.value)}
      />
      {error && <span class="amj-field-message">{error}</span>}
      {found.length > 0 && (
        <ul class="amj-linked" aria-label="People found">
          {found.map((person) => (
            <li key={person.accountId}>
              <button type="button" class="amj-link-button" onClick={() => pick(person)}>
                {person.displayName}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
