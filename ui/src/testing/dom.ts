import { act } from "preact/test-utils";

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
