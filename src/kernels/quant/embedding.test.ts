import { kernelSuite } from '../../test/kernel-suite';
import { embeddingCases } from './embedding.cases';

await kernelSuite('embedding', embeddingCases);
