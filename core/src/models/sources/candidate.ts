/** What a source hands to discovery: one file and the id it proposes for it. */
import type { ModelSource } from "../types.js";

/** One file a source found. Split parts are separate candidates; discovery groups them. */
export interface Candidate {
  source: ModelSource;
  /** The file as found (a link is fine: discovery resolves it). */
  file: string;
  /** The proposed id, before collision suffixes. */
  id: string;
  /**
   * The id is a repository (`org/name`) that wants `:QUANT`, and the file name does not say it:
   * discovery appends the quantization from the header, when it has one.
   */
  tagFromHeader?: boolean;
}

/** Receives a message about something a source could not read. */
export type ProblemSink = (message: string) => void;
