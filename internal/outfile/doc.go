// Package outfile writes a command's output to the path a user named,
// whatever is there: a regular file is replaced atomically (readers see the
// old content or the new, never half of either, and nothing is left
// half-written on error); a device, a named pipe, a descriptor such as
// /dev/stdout or the /dev/fd/N of a shell's >(cmd) is opened and written
// through, never replaced; a directory is refused.
//
// rename(2), which makes the replacement atomic: https://man7.org/linux/man-pages/man2/rename.2.html
package outfile
