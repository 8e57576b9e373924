// The one-node ONNX graphs the bench hands to ORT, built from the same data our kernels get.
import type { NBitsWeight } from './nbits';
import { DataType, singleNodeModel, type TensorInit } from './onnx';

const f32 = DataType.FLOAT;

/** Y[M, N] = A[M, K] · dequant(W)ᵀ with com.microsoft MatMulNBits (accuracy_level 0: f32 math). */
export function matMulNBitsModel(M: number, N: number, K: number, w: NBitsWeight): Uint8Array {
  const nb = K / w.blockSize;
  const inits: TensorInit[] = [
    { name: 'B', dataType: DataType.UINT8, dims: [N, nb, (w.blockSize * w.bits) / 8], raw: w.B },
    { name: 'scales', dataType: f32, dims: [N, nb], raw: w.scales },
  ];
  if (w.zeroPoints) inits.push({ name: 'zero_points', dataType: f32, dims: [N, nb], raw: w.zeroPoints });
  return singleNodeModel(
    {
      op: 'MatMulNBits',
      domain: 'com.microsoft',
      inputs: ['A', 'B', 'scales', ...(w.zeroPoints ? ['zero_points'] : [])],
      outputs: ['Y'],
      attrs: { K: { i: K }, N: { i: N }, bits: { i: w.bits }, block_size: { i: w.blockSize }, accuracy_level: { i: 0 } },
    },
    { inputs: [{ name: 'A', dataType: f32, dims: [M, K] }], outputs: [{ name: 'Y', dataType: f32, dims: [M, N] }], initializers: inits },
  );
}

/** Y[M, N] = A[M, K] · Wt[K, N] (ONNX MatMul; our W [N, K] is passed transposed as Wt). */
export function matMulModel(M: number, N: number, K: number, wt: Float32Array): Uint8Array {
  return singleNodeModel(
    { op: 'MatMul', inputs: ['A', 'Wt'], outputs: ['Y'] },
    {
      inputs: [{ name: 'A', dataType: f32, dims: [M, K] }],
      outputs: [{ name: 'Y', dataType: f32, dims: [M, N] }],
      initializers: [{ name: 'Wt', dataType: f32, dims: [K, N], raw: wt }],
    },
  );
}

/** Softmax over the last axis of X[rows, cols] (opset 13+ semantics). */
export function softmaxModel(rows: number, cols: number): Uint8Array {
  return singleNodeModel(
    { op: 'Softmax', inputs: ['X'], outputs: ['Y'], attrs: { axis: { i: -1 } } },
    { inputs: [{ name: 'X', dataType: f32, dims: [rows, cols] }], outputs: [{ name: 'Y', dataType: f32, dims: [rows, cols] }] },
  );
}

export interface DecodeAttentionShape {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Keys attended, the new one included (past = kvLen - 1). */
  kvLen: number;
}

/**
 * One decode step of com.microsoft GroupQueryAttention: query/key/value [1, 1, heads·headDim] for the
 * new token, past_key/past_value [1, nKvHeads, kvLen-1, headDim] (BNSH), seqlens_k [1] = kvLen-1,
 * total_sequence_length [] = kvLen. Outputs the attention [1, 1, nHeads·headDim] and, as the op
 * requires, present_key/present_value [1, nKvHeads, kvLen, headDim] (past with the new token
 * appended). Their sequence axis is declared symbolic: GQA's shape inference assumes past and present
 * share one buffer (present as long as past), which JSEP's kernel does not do; both EPs size it kvLen.
 */
export function gqaDecodeModel(s: DecodeAttentionShape): Uint8Array {
  const { nHeads, nKvHeads, headDim: hd, kvLen } = s;
  const past = [1, nKvHeads, kvLen - 1, hd];
  const present = [1, nKvHeads, 'present_sequence_length', hd];
  return singleNodeModel(
    {
      op: 'GroupQueryAttention',
      domain: 'com.microsoft',
      inputs: ['query', 'key', 'value', 'past_key', 'past_value', 'seqlens_k', 'total_sequence_length'],
      outputs: ['output', 'present_key', 'present_value'],
      attrs: { num_heads: { i: nHeads }, kv_num_heads: { i: nKvHeads } },
    },
    {
      inputs: [
        { name: 'query', dataType: f32, dims: [1, 1, nHeads * hd] },
        { name: 'key', dataType: f32, dims: [1, 1, nKvHeads * hd] },
        { name: 'value', dataType: f32, dims: [1, 1, nKvHeads * hd] },
        { name: 'past_key', dataType: f32, dims: past },
        { name: 'past_value', dataType: f32, dims: past },
        { name: 'seqlens_k', dataType: DataType.INT32, dims: [1] },
        { name: 'total_sequence_length', dataType: DataType.INT32, dims: [] },
      ],
      outputs: [
        { name: 'output', dataType: f32, dims: [1, 1, nHeads * hd] },
        { name: 'present_key', dataType: f32, dims: present },
        { name: 'present_value', dataType: f32, dims: present },
      ],
    },
  );
}
