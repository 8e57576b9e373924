import { kernelSuite } from '../../test/kernel-suite';
import { gegluCases, pointwiseCases } from './pointwise.cases';

await kernelSuite('pointwise', pointwiseCases);
await kernelSuite('geglu', gegluCases);
