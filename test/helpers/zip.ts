export { zipArchive, type ZipMember } from '../../src/reliability/zip-writer.js';
