/** An error as a sentence for people: its message, ending in one full stop. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    return `${error.message.replace(/\.$/, "")}.`;
  }
  return "something went wrong.";
}
