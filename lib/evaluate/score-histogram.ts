import { z } from "zod";

/**
 * Exact ROC AUC over any number of rows: every distinct score with how many positive and negative
 * rows had it, kept as sorted typed arrays.
 *
 * Why a histogram of exact scores rather than bins: binned AUC is an approximation, and ties must be
 * ties of the real values for the rank average to match scikit-learn's roc_auc_score. Why typed
 * arrays rather than a Map: a V8 Map stops at 2^24 entries and costs several times more per entry,
 * while three Float64Arrays cost 24 bytes per distinct score (plus a buffer of recent rows no larger
 * than that). Memory grows with the number of distinct scores, never beyond the number of rows, and
 * shrinks when scores repeat (float32 probabilities, quantised or calibrated models).
 */

const MIN_PENDING_ROWS = 1024;

export const scoreHistogramStateSchema = z
  .object({
    scores: z.array(z.number()),
    positives: z.array(z.number().int().nonnegative()),
    negatives: z.array(z.number().int().nonnegative()),
  })
  .refine((state) => state.positives.length === state.scores.length && state.negatives.length === state.scores.length, {
    message: "scores, positives and negatives must have the same length",
  })
  .refine((state) => state.scores.every((score, index) => index === 0 || score > state.scores[index - 1]!), {
    message: "scores must be strictly increasing",
  });
export type ScoreHistogramState = z.infer<typeof scoreHistogramStateSchema>;

interface Counts {
  scores: Float64Array;
  positives: Float64Array;
  negatives: Float64Array;
}

const EMPTY: Counts = { scores: new Float64Array(0), positives: new Float64Array(0), negatives: new Float64Array(0) };

/** Adds the counts of two histograms whose scores are sorted and distinct; the result is too. */
function mergeCounts(a: Counts, b: Counts): Counts {
  const capacity = a.scores.length + b.scores.length;
  const merged: Counts = {
    scores: new Float64Array(capacity),
    positives: new Float64Array(capacity),
    negatives: new Float64Array(capacity),
  };
  let i = 0;
  let j = 0;
  let size = 0;
  while (i < a.scores.length || j < b.scores.length) {
    // Scores are finite, so Infinity marks an exhausted side.
    const scoreA = i < a.scores.length ? a.scores[i]! : Infinity;
    const scoreB = j < b.scores.length ? b.scores[j]! : Infinity;
    const score = Math.min(scoreA, scoreB);
    let positives = 0;
    let negatives = 0;
    if (scoreA === score) {
      positives += a.positives[i]!;
      negatives += a.negatives[i]!;
      i++;
    }
    if (scoreB === score) {
      positives += b.positives[j]!;
      negatives += b.negatives[j]!;
      j++;
    }
    merged.scores[size] = score;
    merged.positives[size] = positives;
    merged.negatives[size] = negatives;
    size++;
  }
  return {
    scores: merged.scores.slice(0, size),
    positives: merged.positives.slice(0, size),
    negatives: merged.negatives.slice(0, size),
  };
}

/** Scores of rows with one label, appended without allocating except when the buffer doubles. */
class ScoreBuffer {
  private values = new Float64Array(MIN_PENDING_ROWS);
  length = 0;

  push(score: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = score;
  }

  /** Run-length counts of the buffered scores, all credited to one label; empties the buffer. */
  drain(positive: boolean): Counts {
    // A typed array sorts numerically and natively, which is why each label has its own buffer.
    const sorted = this.values.subarray(0, this.length).sort();
    this.length = 0;
    const scores = new Float64Array(sorted.length);
    const counts = new Float64Array(sorted.length);
    let size = 0;
    for (const score of sorted) {
      if (size > 0 && scores[size - 1] === score) {
        counts[size - 1]! += 1;
      } else {
        scores[size] = score;
        counts[size++] = 1;
      }
    }
    const none = new Float64Array(size);
    return positive
      ? { scores: scores.slice(0, size), positives: counts.slice(0, size), negatives: none }
      : { scores: scores.slice(0, size), positives: none, negatives: counts.slice(0, size) };
  }
}

export class ScoreHistogram {
  private counts: Counts = EMPTY;
  // Rows since the last compaction. They are folded in once they are as many as the distinct scores
  // already held, so the total work stays O(n log n) however small the chunks are.
  private readonly pendingPositives = new ScoreBuffer();
  private readonly pendingNegatives = new ScoreBuffer();

  /** `score` must be finite: callers treat non-finite scores as invalid rows before they get here. */
  add(score: number, positive: boolean): void {
    (positive ? this.pendingPositives : this.pendingNegatives).push(score);
    const pending = this.pendingPositives.length + this.pendingNegatives.length;
    if (pending >= Math.max(this.counts.scores.length, MIN_PENDING_ROWS)) this.compact();
  }

  merge(other: ScoreHistogram): void {
    other.compact();
    this.compact();
    this.counts = mergeCounts(this.counts, other.counts);
  }

  /**
   * Probability that a random positive scores above a random negative, a tie counting one half
   * (Mann–Whitney U / (P·N)), or null when either label is absent. Exact: U is a sum of halves of
   * integers below 2^53.
   */
  auc(): number | null {
    this.compact();
    const { positives, negatives } = this.counts;
    let negativesBelow = 0;
    let totalPositives = 0;
    let wins = 0;
    for (let index = 0; index < positives.length; index++) {
      wins += positives[index]! * (negativesBelow + negatives[index]! / 2);
      negativesBelow += negatives[index]!;
      totalPositives += positives[index]!;
    }
    if (totalPositives === 0 || negativesBelow === 0) return null;
    return wins / (totalPositives * negativesBelow);
  }

  toJSON(): ScoreHistogramState {
    this.compact();
    return {
      scores: Array.from(this.counts.scores),
      positives: Array.from(this.counts.positives),
      negatives: Array.from(this.counts.negatives),
    };
  }

  /** `state` must already have passed scoreHistogramStateSchema (the accumulators' schemas embed it). */
  static fromJSON(state: ScoreHistogramState): ScoreHistogram {
    const histogram = new ScoreHistogram();
    histogram.counts = {
      scores: Float64Array.from(state.scores),
      positives: Float64Array.from(state.positives),
      negatives: Float64Array.from(state.negatives),
    };
    return histogram;
  }

  private compact(): void {
    if (this.pendingPositives.length + this.pendingNegatives.length === 0) return;
    const withPositives = mergeCounts(this.counts, this.pendingPositives.drain(true));
    this.counts = mergeCounts(withPositives, this.pendingNegatives.drain(false));
  }
}
