/**
 * Activation sites of an L-block Llama, numbered as the authors' code (llm-jp-sae `train.py`) and Hugging
 * Face `hidden_states` number them (../shared/SPEC.md section 2): site 0 is the embedding output, site l >= 1
 * the output of block l-1 (blocks counted from 0), site L the last block's output before the final norm.
 * Injecting at site l adds to the residual stream that block l reads next.
 */

/** The number of sites of an L-block model: L + 1 (0..L). */
export function siteCount(numLayers: number): number {
  return numLayers + 1;
}

/** The mid site: floor(L/2) of the sites 0..L (the learning-rate search's `maxlayer // 2`). */
export function midSite(numLayers: number): number {
  return Math.floor(numLayers / 2);
}

/** Every site, 0..L. */
export function allSites(numLayers: number): number[] {
  return Array.from({ length: numLayers + 1 }, (_, i) => i);
}

/** Throws a RangeError naming `where` when `site` is not an integer in [0, L]. */
export function checkSite(where: string, site: number, numLayers: number, what = 'layer'): void {
  if (!Number.isInteger(site) || site < 0 || site > numLayers) {
    throw new RangeError(
      `${where}: ${what} ${site} is not a site in [0, ${numLayers}] (0 = embedding output, l = output of block l-1)`,
    );
  }
}
