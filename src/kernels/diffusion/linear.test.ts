import { kernelSuite } from '../../test/kernel-suite';
import { linearCases } from './linear.cases';

await kernelSuite('linear', linearCases);
