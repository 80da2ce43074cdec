/**
 * The answer's text over several rounds: what each round wrote, streamed as it comes, rounds
 * separated by a blank line, so the streamed content and the non-streamed `content` are the same.
 */

/** Joins and streams the text of the loop's rounds. */
export class RoundText {
  private text = "";
  private roundStarted = false;

  constructor(private readonly forward: ((text: string) => void) | undefined) {}

  /** Marks the start of a round. */
  nextRound(): void {
    this.roundStarted = true;
  }

  /** Takes a piece of the current round's text. */
  push(piece: string): void {
    if (piece === "") return;
    if (this.roundStarted && this.text !== "") this.emit("\n\n");
    this.roundStarted = false;
    this.emit(piece);
  }

  /** Everything streamed so far. */
  get value(): string {
    return this.text;
  }

  private emit(piece: string): void {
    this.text += piece;
    this.forward?.(piece);
  }
}
