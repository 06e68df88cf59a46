import { useEffect, useState } from "preact/hooks";
import type { Api } from "./api";

/**
 * Who did something, as people read it: values and `updated.by` hold accountIds, which mean
 * nothing to a person, so they are shown by the display name Jira has for them.
 */

/** A Jira accountId, as opposed to the app's own actors (`app`, `api-token:7`). */
export function isAccountId(actor: string): boolean {
  return actor !== "" && actor !== "app" && !actor.startsWith("api-token:");
}

/** A Jira account as people see it: the display name, and the avatar when Jira has one. */
export interface Person {
  name: string;
  avatar: string | null;
}

/** An actor for people: a name from `people`, "the app", "API token #7", or "someone". */
export function actorLabel(actor: string, people: ReadonlyMap<string, Person>): string {
  if (actor === "app") {
    return "the app";
  }
  const token = /^api-token:(\d+)$/.exec(actor);
  if (token) {
    return `API token #${token[1]}`;
  }
  return people.get(actor)?.name ?? "someone";
}

/** The accountIds a value of a Jira user attribute holds (one, or a list for multiple). */
export function accountIdsOf(value: unknown): string[] {
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v): v is string => typeof v === "string" && isAccountId(v));
}

/** People already asked for, per API client (a page has one), so each account is asked once. */
const known = new WeakMap<Api, Map<string, Person>>();

/** Names and avatars for the actors given, asked from Jira once per account. Until the answer
 *  (or if Jira cannot say) the map lacks them, and `actorLabel` says "someone". */
export function usePeople(api: Api, actors: readonly string[]): ReadonlyMap<string, Person> {
  const cache = known.get(api) ?? new Map<string, Person>();
  known.set(api, cache);
  const [names, setNames] = useState<ReadonlyMap<string, Person>>(new Map(cache));
  const wanted = [...new Set(actors.filter(isAccountId))].sort().join(",");
  useEffect(() => {
    const missing = wanted.split(",").filter((id) => id && !cache.has(id));
    if (missing.length === 0) {
      setNames(new Map(cache));
      return;
    }
    let current = true;
    api
      .people(missing)
      .then((found) => {
        for (const [id, person] of found) {
          cache.set(id, person);
        }
        if (current) {
          setNames(new Map(cache));
        }
      })
      .catch(() => {
        // Names are a courtesy; the page works without them.
      });
    return () => {
      current = false;
    };
  }, [api, cache, wanted]);
  return names;
}
