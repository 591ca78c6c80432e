import { MemoryBlobStore } from './memory.ts';
import { blobStoreSuite } from './suite.ts';

blobStoreSuite('memory', async () => new MemoryBlobStore());
