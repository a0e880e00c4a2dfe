/**
 * Exit statuses, the same for every command (README "Exit status", `smbwatch --help`):
 *   0  the command did what it was asked (a run without alerts, a query without rows, a reader that left early);
 *   1  it could not: a store missing, busy or unreachable, an input or file that cannot be read or is invalid, a
 *      query that does not compile, nothing in the store matching the alert id or input pattern given;
 *   2  the command line is wrong as written: an unknown command or option, a malformed value (a time, a number,
 *      a size, a --db URL, a --param), a name not among the known ones (a rule or hunting query id, a format);
 *   130 watch stopped by a second Ctrl-C (the first stops it cleanly, status 0).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** The same table as a help text, for `smbwatch --help`. */
export const EXIT_STATUS_HELP = `Exit status (every command): 0 done (also a run without alerts or a query without rows); 1 it could not be
done (a store missing or busy, an input or file unreadable or invalid, a query that does not compile, no alert
or input matching what was given); 2 the command line is wrong (an unknown option, a malformed time, number,
size or parameter, an unknown rule id or format).`;
