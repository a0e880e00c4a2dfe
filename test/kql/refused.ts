/**
 * Conformance cases smbwatch's KQL compiler does not support yet. Each must be refused with SMB001 ("… is not
 * supported") on both engines — never answered wrongly. The runner fails when a listed case starts to pass, so
 * this list only shrinks. Every entry is an open item of the KQL engine (docs/kql.md, "Not supported yet").
 */
export const REFUSED_CASES: ReadonlySet<string> = new Set<string>([]);
