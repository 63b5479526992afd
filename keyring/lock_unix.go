//go:build unix

package keyring

import (
	"fmt"
	"os"
	"syscall"
)

// Lock takes an exclusive lock on the master key file at path (through a
// "<path>.lock" file next to it), waiting for another holder to release it.
// Two rotations adding a key at once would otherwise each write a
// different key under the same ID. The operating system releases the lock
// when the process dies, so an interrupted rotation never leaves it behind.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
