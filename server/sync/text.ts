/** Text that fits a network's limit: cut between grapheme clusters, never inside one. */
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export const ELLIPSIS = "…";

export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (segment) => segment.segment);
}

/**
 * Fits `text` into `max` grapheme clusters. Too long: the first `max - 1` clusters (trailing
 * spaces dropped) and an ellipsis, so the result is exactly within the limit.
 */
export function fitText(text: string, max: number): { text: string; isTruncated: boolean } {
  const clusters = graphemes(text);
  if (clusters.length <= max) return { text, isTruncated: false };
  if (max <= 0) return { text: "", isTruncated: true };
  return {
    text:
      clusters
        .slice(0, max - 1)
        .join("")
        .trimEnd() + ELLIPSIS,
    isTruncated: true,
  };
}
