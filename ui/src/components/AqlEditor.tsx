import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, AqlCheck } from "../api";
import { tokenize } from "../highlight";
import { applyCompletion, byteOffset, type Completion } from "../query";

interface Props {
  api: Api;
  schema: string;
  value: string;
  onInput: (value: string) => void;
  /** Enter with no suggestion open. */
  onSubmit: () => void;
  /** The error of the last search, shown until the text changes. */
  searchError: string | null;
  /** How long typing must pause before the query is checked. */
  delayMs?: number;
}

/**
 * The AQL box: while typing it checks the query with the server (`/api/v1/aql/validate`) and
 * shows the first mistake under the box, and suggests attributes, types, statuses, values and
 * keywords at the caret. The suggestions are a listbox driven from the input (arrows, Enter or
 * Tab to take one, Escape to close), as the ARIA combobox pattern has it.
 */
export function AqlEditor({
  api,
  schema,
  value,
  onInput,
  onSubmit,
  searchError,
  delayMs = 200,
}: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [check, setCheck] = useState<AqlCheck | null>(null);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);
  const [typedError, setTypedError] = useState<string | null>(null);
  const [edited, setEdited] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const caret = useRef<number | null>(null);
  // Each check gets a number; a search or a newer check makes older answers stale, so a late
  // answer cannot reopen suggestions after Enter.
  const checks = useRef(0);

  // After a completion the caret goes behind it.
  useEffect(() => {
    if (caret.current !== null && input.current) {
      input.current.setSelectionRange(caret.current, caret.current);
      caret.current = null;
    }
  });
  useEffect(() => () => clearTimeout(timer.current), []);
  // A new search's error replaces what typing found.
  useEffect(() => setEdited(false), [searchError]);

  const checkSoon = (text: string, position: number) => {
    clearTimeout(timer.current);
    const check = ++checks.current;
    timer.current = setTimeout(() => {
      api
        .validateAql(schema, text, byteOffset(text, position))
        .then((found) => {
          if (check !== checks.current || input.current?.value !== text) {
            return;
          }
          setTypedError(text.trim() && !found.valid && found.error ? found.error.excerpt : null);
          setCheck(found);
          setActive(-1);
          setOpen(document.activeElement === input.current && found.completions.items.length > 0);
        })
        .catch(() => {
          // Suggestions are optional; searching reports real errors.
        });
    }, delayMs);
  };

  const items = open && check ? check.completions.items : [];
  const take = (item: Completion) => {
    if (!check) {
      return;
    }
    const done = applyCompletion(value, check.completions, item);
    caret.current = done.caret;
    setOpen(false);
    onInput(done.text);
    setEdited(true);
    checkSoon(done.text, done.caret);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (items.length > 0) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((i) => (i + step + items.length) % items.length);
        return;
      }
      if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        const item = items[active];
        if (item) {
          event.preventDefault();
          take(item);
        }
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        setOpen(false);
        return;
      }
    }
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer.current);
      checks.current += 1;
      setOpen(false);
      setTypedError(null);
      onSubmit();
    }
  };
  // The colours scroll with the text when it is longer than the box.
  const overlay = useRef<HTMLDivElement>(null);
  const follow = () => {
    if (overlay.current && input.current) {
      overlay.current.scrollLeft = input.current.scrollLeft;
    }
  };
  // Until the text changes again, the last search's answer is the one that counts.
  const error = edited ? typedError : searchError;

  return (
    <div class="amj-aql">
      <label for="amj-aql">Search with AQL</label>
      <div class="amj-aql-box">
        <div class="amj-aql-highlight" aria-hidden="true" ref={overlay}>
          {tokenize(value).map((token, i) => (
            <span key={i} class={`amj-tok-${token.kind}`}>
              {token.text}
            </span>
          ))}
        </div>
        <input
          ref={input}
          id="amj-aql"
          type="text"
          role="combobox"
          autocomplete="off"
          spellcheck={false}
          placeholder='objectType = Laptop AND Status = "In use"'
          aria-keyshortcuts="/"
          value={value}
          aria-autocomplete="list"
          aria-controls="amj-completions"
          aria-expanded={items.length > 0}
          aria-activedescendant={
            items.length > 0 && active >= 0 && active < items.length
              ? `amj-completion-${active}`
              : undefined
          }
          aria-describedby="amj-aql-error"
          aria-invalid={error !== null}
          onInput={(event) => {
            const text = event.currentTarget.value;
            onInput(text);
            setEdited(true);
            checkSoon(text, event.currentTarget.selectionStart ?? text.length);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
          onScroll={follow}
          onKeyUp={follow}
          onSelect={follow}
        />
      </div>
      <div id="amj-completions" role="listbox" class="amj-completions" hidden={items.length === 0}>
        {items.map((item, i) => (
          <div
            key={`${item.kind}:${item.label}`}
            id={`amj-completion-${i}`}
            role="option"
            tabIndex={-1}
            aria-selected={i === active}
            onMouseDown={(event) => {
              event.preventDefault();
              take(item);
            }}
          >
            {item.label} <span class="amj-subtle">{item.kind}</span>
          </div>
        ))}
      </div>
      <p id="amj-aql-error" class="amj-field-message" role="alert" hidden={error === null}>
        {error}
      </p>
    </div>
  );
}
