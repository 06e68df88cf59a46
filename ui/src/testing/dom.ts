import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach } from "vitest";

/** Waits, with bounded polling (never a fixed sleep), for `check` to hold after re-renders. */
export async function until(check: () => boolean, tries = 100) {
  for (let i = 0; i < tries; i += 1) {
    if (check()) {
      return;
    }
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
    });
  }
  throw new Error(`timed out; the page reads: ${document.body.textContent}`);
}

/** A root element for each test of the enclosing `describe`: attached before each test, and
 *  unmounted and detached after it, so no test sees another's page. */
export function mountRoot(): HTMLElement {
  const root = document.createElement("main");
  beforeEach(() => {
    document.body.append(root);
  });
  afterEach(() => {
    render(null, root);
    root.remove();
  });
  return root;
}
