import { kernelSuite } from '../../test/kernel-suite';
import { pixelShuffleCases, transposeCases, upsampleCases } from './layout.cases';

await kernelSuite('upsample', upsampleCases);
await kernelSuite('pixel-shuffle', pixelShuffleCases);
await kernelSuite('transpose', transposeCases);
