//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
	"unsafe"
)

// sysEpollPwait2 is epoll_pwait2(2) (Linux 5.11), the same number on every
// architecture: the generic system call table.
const sysEpollPwait2 = 441

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK: the kernel otherwise lets
// a sleeping thread's wake-up slip by 50 µs to batch timers.
const prSetTimerSlack = 29

// epConn is one keep-alive connection of the generator.
type epConn struct {
	fd    int
	index int32 // in conns: what epoll reports for it
	// due holds the requests written on the connection and not yet
	// answered, oldest first from head: answers come in request order.
	due  []stamp
	head int
	// in holds answer bytes not yet parsed, from off.
	in  []byte
	off int
	// out holds request bytes the socket did not take yet.
	out     []byte
	pending []int64 // due times of the requests dealt to it in this batch
	dead    bool
}

// stamp is a request's due time and the time its write started, in ns
// after the start.
type stamp struct{ due, sent int64 }

// rawChild is the child process's main.
func rawChild(spec string) error {
	var job rawJob
	if err := json.Unmarshal([]byte(spec), &job); err != nil {
		return err
	}
	r, err := generate(&job)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// generate runs job: one thread around epoll.
func generate(job *rawJob) (*rawResult, error) {
	if job.Rate <= 0 || job.Conns <= 0 || job.Duration <= 0 || len(job.Request) == 0 {
		return nil, errors.New("rate, conns, duration and request must be set")
	}
	ap, err := netip.ParseAddrPort(job.Addr)
	if err != nil {
		return nil, fmt.Errorf("generator address %q: %w", job.Addr, err)
	}
	if job.Profile != "" {
		f, err := os.Create(job.Profile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)

	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(epfd)
	total := int(int64(job.Duration) * int64(job.Rate) / int64(time.Second))
	conns := make([]*epConn, job.Conns)
	for i := range conns {
		fd, err := dial(ap)
		if err != nil {
			return nil, err
		}
		defer syscall.Close(fd)
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(i)}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return nil, err
		}
		conns[i] = &epConn{fd: fd, index: int32(i), in: make([]byte, 0, 64<<10)}
	}

	reqLen := len(job.Request)
	perWrite := min(job.Rate/len(conns)+1, 256)
	batch := make([]byte, 0, perWrite*reqLen)
	for range perWrite {
		batch = append(batch, job.Request...)
	}
	st := &rawStats{lat: make([]time.Duration, 0, total), fromWrite: make([]time.Duration, 0, total), late: make([]time.Duration, 0, total)}
	start := time.Now().Add(20 * time.Millisecond)
	since := func() int64 { return int64(time.Since(start)) }
	// Answers may take as long again as the run before the rest counts
	// as unanswered.
	drainUntil := 2*int64(job.Duration) + int64(5*time.Second)
	tick := int64(job.Tick)
	lastBatch := int64(-1 << 62)
	events := make([]syscall.EpollEvent, 128)
	next, rr, outstanding, alive := 0, 0, 0, len(conns)
	// Consecutive requests dealt to one connection before the next.
	group, dealt := max(1, job.Group), 0

	kill := func(c *epConn, err error) {
		if c.dead {
			return
		}
		st.fail(err)
		c.dead = true
		alive--
		outstanding -= len(c.due) - c.head
		_ = syscall.EpollCtl(epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	}
	for alive > 0 {
		now := since()
		if next < total && now >= dueOf(next, job.Rate) && now >= lastBatch+tick {
			end := next
			for end < total && dueOf(end, job.Rate) <= now {
				end++
			}
			for i := next; i < end; i++ {
				c := conns[rr]
				if dealt++; dealt >= group {
					rr, dealt = (rr+1)%len(conns), 0
				}
				if !c.dead {
					c.pending = append(c.pending, dueOf(i, job.Rate))
				}
			}
			for _, c := range conns {
				for p := c.pending; len(p) > 0 && !c.dead; {
					k := min(len(p), perWrite)
					t := since()
					for _, d := range p[:k] {
						c.due = append(c.due, stamp{d, t})
					}
					st.sent(p[:k], t)
					outstanding += k
					st.writes++
					if err := c.send(st, epfd, batch[:k*reqLen]); err != nil {
						kill(c, err)
					}
					p = p[k:]
				}
				c.pending = c.pending[:0]
			}
			next, lastBatch = end, now
			continue
		}
		if next >= total && outstanding == 0 || now > drainUntil {
			break
		}
		timeout := drainUntil - now
		if next < total {
			timeout = max(0, max(dueOf(next, job.Rate), lastBatch+tick)-now)
		}
		if job.Poll {
			// Sleep through the answers' arrivals and read them all
			// at once: an answer's time is then late by up to a tick.
			if timeout = min(timeout, max(tick, int64(50*time.Microsecond))); timeout > 0 {
				ts := syscall.NsecToTimespec(timeout)
				_ = syscall.Nanosleep(&ts, nil)
				st.syscalls++
			}
			timeout = 0
		}
		n, err := epollWait(epfd, events, timeout)
		st.syscalls++
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return nil, err
		}
		for _, ev := range events[:n] {
			c := conns[ev.Fd]
			if c.dead {
				continue
			}
			if ev.Events&syscall.EPOLLOUT != 0 {
				if err := c.flush(epfd); err != nil {
					kill(c, err)
					continue
				}
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				answered, err := c.read(st, since)
				outstanding -= answered
				if err != nil {
					kill(c, err)
				}
			}
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return st.result(total, time.Duration(ru.Utime.Nano()+ru.Stime.Nano()))
}

// dial connects a non-blocking TCP socket without Nagle's delay, as
// net.Dial and wrk do.
func dial(ap netip.AddrPort) (int, error) {
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	if a := ap.Addr(); a.Is4() {
		sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	} else {
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Connect(fd, sa); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// send writes b, keeping what the socket does not take for when epoll
// says it has room.
func (c *epConn) send(st *rawStats, epfd int, b []byte) error {
	if len(c.out) > 0 {
		c.out = append(c.out, b...)
		return nil
	}
	for len(b) > 0 {
		n, err := syscall.Write(c.fd, b)
		st.syscalls++
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			c.out = append(c.out, b...)
			ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLOUT, Fd: c.index}
			return syscall.EpollCtl(epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev)
		case err != nil:
			return err
		}
		b = b[n:]
	}
	return nil
}

// flush writes what send kept back.
func (c *epConn) flush(epfd int) error {
	for len(c.out) > 0 {
		n, err := syscall.Write(c.fd, c.out)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return nil
		case err != nil:
			return err
		}
		c.out = c.out[:copy(c.out, c.out[n:])]
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: c.index}
	return syscall.EpollCtl(epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev)
}

// read takes what the socket holds (epoll is level-triggered: anything
// left is reported again) and records the answers it completes.
func (c *epConn) read(st *rawStats, since func() int64) (int, error) {
	if cap(c.in)-len(c.in) < 16<<10 {
		if c.off > 0 {
			c.in = c.in[:copy(c.in, c.in[c.off:])]
			c.off = 0
		} else {
			c.in = append(c.in[:cap(c.in)], make([]byte, cap(c.in))...)[:len(c.in)]
		}
	}
	n, err := syscall.Read(c.fd, c.in[len(c.in):cap(c.in)])
	st.syscalls++
	switch {
	case err == syscall.EINTR || err == syscall.EAGAIN:
		return 0, nil
	case err != nil:
		return 0, err
	case n == 0:
		return 0, errors.New("the server closed the connection")
	}
	c.in = c.in[:len(c.in)+n]
	t := since()
	st.lastAnswer = t
	answered := 0
	for {
		m, ok, err := parseResponse(c.in[c.off:])
		if err != nil {
			return answered, err
		}
		if m == 0 {
			break
		}
		if c.head == len(c.due) {
			return answered, errors.New("an answer to no request")
		}
		s := c.due[c.head]
		c.head++
		st.lat = append(st.lat, time.Duration(t-s.due))
		st.fromWrite = append(st.fromWrite, time.Duration(t-s.sent))
		if !ok {
			st.fail(fmt.Errorf("answer %.40q", c.in[c.off:]))
		}
		c.off += m
		answered++
	}
	if c.off == len(c.in) {
		c.in, c.off = c.in[:0], 0
	}
	if c.head == len(c.due) {
		c.due, c.head = c.due[:0], 0
	} else if c.head > 4096 && c.head > len(c.due)/2 {
		c.due, c.head = c.due[:copy(c.due, c.due[c.head:])], 0
	}
	return answered, nil
}

// epollWait waits up to timeout ns (negative: no limit) in
// epoll_pwait2, or epoll_wait (millisecond timeout, rounded up) on
// kernels before 5.11.
func epollWait(epfd int, events []syscall.EpollEvent, timeout int64) (int, error) {
	var ts *syscall.Timespec
	if timeout >= 0 {
		t := syscall.NsecToTimespec(timeout)
		ts = &t
	}
	if !noPwait2 {
		n, _, e := syscall.Syscall6(sysEpollPwait2, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)),
			uintptr(unsafe.Pointer(ts)), 0, 0)
		if e == 0 {
			return int(n), nil
		}
		if e != syscall.ENOSYS {
			return 0, e
		}
		noPwait2 = true
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + int64(time.Millisecond) - 1) / int64(time.Millisecond))
	}
	return syscall.EpollWait(epfd, events, ms)
}

var noPwait2 bool
