/**
 * The few ANSI styles the text log uses, behind one switch so a line is the same text with or
 * without colour: on a terminal a person sees colours, in a file or a pipe the plain words.
 */

/** The styles; each returns `text` unchanged when colour is off. */
export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

const style = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

const COLORS: Paint = {
  bold: style(1, 22),
  dim: style(2, 22),
  red: style(31, 39),
  yellow: style(33, 39),
  green: style(32, 39),
  cyan: style(36, 39),
};

const same = (text: string) => text;
const PLAIN: Paint = { bold: same, dim: same, red: same, yellow: same, green: same, cyan: same };

/** The styles to write with: ANSI when `color`, otherwise none. */
export function paint(color: boolean): Paint {
  return color ? COLORS : PLAIN;
}
