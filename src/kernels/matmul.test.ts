import { kernelSuite } from '../test/kernel-suite';
import { matmulCases } from './matmul.cases';

await kernelSuite('matmul', matmulCases);
