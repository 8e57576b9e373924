import { kernelSuite } from '../../test/kernel-suite';
import { conv2dCases } from './conv2d.cases';

await kernelSuite('conv2d', conv2dCases);
