/**
 * The real public logs the tests read, kept in the repository (test/fixtures/real, provenance and licences in its
 * README) so that a fresh clone passes its tests with nothing beside it.
 */
import { fileURLToPath } from 'node:url';

export const REAL_DATA = fileURLToPath(new URL('../fixtures/real', import.meta.url));
