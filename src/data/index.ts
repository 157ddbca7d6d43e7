// The data layer: IDX files, locating and fetching MNIST, DataSets and
// batches. Test fixtures live in ./fixtures.js and are not re-exported here.

export {
  GZIP_MAGIC,
  IDX_UBYTE,
  IMAGES_MAGIC,
  LABELS_MAGIC,
  MAX_IDX_BYTES,
  readIdxImages,
  readIdxLabels,
  type IdxImages,
  type IdxLabels,
} from './idx.js';
export {
  defaultDataDir,
  findMnistFiles,
  mnistFileNames,
  type MnistFiles,
} from './files.js';
export {
  DataSet,
  NUM_CLASSES,
  type Batch,
  type DataSetOptions,
  type DataSetState,
} from './dataset.js';
export {
  readDataSets,
  type DataSets,
  type ReadDataSetsOptions,
} from './mnist.js';
export {
  DEFAULT_MIRROR,
  MNIST_CHECKSUMS,
  fetchDataSets,
  fetchMnist,
  type FetchDataSetsOptions,
  type FetchEvent,
  type FetchOptions,
  type FetchProgress,
  type FetchedFile,
  type MnistChecksums,
} from './fetch.js';
export { type FileChecksum } from './checksum.js';
