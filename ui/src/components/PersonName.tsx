import { Fragment } from "preact";
import { actorLabel, isAccountId, type Person } from "../people";

/**
 * A person as Jira shows one: the avatar beside the display name. The avatar is decorative (the
 * name is beside it), so its alternative text is empty; until Jira answers, "someone".
 */
export function PersonName({ id, people }: { id: string; people: ReadonlyMap<string, Person> }) {
  const person = people.get(id);
  return (
    <span class="amj-person" data-account={id}>
      {person?.avatar && (
        <img class="amj-avatar" src={person.avatar} alt="" width={20} height={20} />
      )}
      {person?.name ?? "someone"}
    </span>
  );
}

/** The people a Jira user attribute holds, each with their avatar. */
export function PeopleValue({
  ids,
  people,
}: {
  ids: string[];
  people: ReadonlyMap<string, Person>;
}) {
  return (
    <>
      {ids.map((id, i) => (
        <Fragment key={id}>
          {i > 0 && ", "}
          <PersonName id={id} people={people} />
        </Fragment>
      ))}
    </>
  );
}

/** Who did something: a person with their avatar, or the app's own actors in words. */
export function Actor({ actor, people }: { actor: string; people: ReadonlyMap<string, Person> }) {
  return isAccountId(actor) ? (
    <PersonName id={actor} people={people} />
  ) : (
    <>{actorLabel(actor, people)}</>
  );
}
