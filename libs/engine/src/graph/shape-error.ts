import { shapeToString, type Value } from './types.ts';

/** A shape or type mismatch found while building a graph; names the node, op and operand shapes. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
  constructor(
    readonly node: string,
    readonly opType: string,
    readonly operands: readonly Value[],
    detail: string,
  ) {
    super(
      `${opType} node '${node}': ${detail} (operands: ${operands
        .map((v) => `${v.name}:${v.dtype}${shapeToString(v.shape)}`)
        .join(', ')})`,
    );
  }
}
