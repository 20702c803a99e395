/* The container init's last program before the container's own (see
 * container/init_stub.h for why it exists). A freestanding static binary of
 * under 1 KB of code: no libc, so nothing to load or relocate, and so
 * little to map that its exec costs a fraction of capsa's.
 *
 * Invoked by the init as
 *   capsa-init SYNC_FD FIFO_FD PATH ARGV0 ARGV1 ... (environment: the program's)
 * it tells the runtime the container is ready (over SYNC_FD), waits for
 * `start` by opening the exec fifo (FIFO_FD, an O_PATH fd) for writing, and
 * execs PATH. The fifo is opened close-on-exec: `start` reads to EOF, so it
 * returns once the program runs. Every call here (prctl PR_SET_PDEATHSIG,
 * sendto, write, close, openat, execve) is one the init's tail made before the stub
 * existed, so a container's seccomp profile that let the init through lets
 * the stub through. */

#include <asm/unistd.h>

#define STUB_O_WRONLY 01
#define STUB_O_CLOEXEC 02000000
#define STUB_AT_FDCWD (-100)
#define STUB_PR_SET_PDEATHSIG 1
#define STUB_MSG_NOSIGNAL 0x4000

#if defined(__x86_64__)
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call stub_main\n"
	"	hlt\n");

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	mov x0, sp\n"
	"	bl stub_main\n");

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
	return x0;
}
#else
#error "capsa's init stub: no system call convention for this architecture"
#endif

static long sys4(long n, long a, long b, long c, long d)
{
	return sys6(n, a, b, c, d, 0, 0);
}

static __attribute__((noreturn)) void die(int code)
{
	for (;;)
		sys4(__NR_exit_group, code, 0, 0, 0);
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static long number(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Messages are assembled here and written with one call, so a reader never
 * sees half of one. */
static char msg[4096];
static unsigned long msg_len;

static void put(const char *s)
{
	while (*s && msg_len < sizeof msg - 1)
		msg[msg_len++] = *s++;
}

static void put_number(long v)
{
	char digits[24];
	int n = 0;

	if (v < 0) {
		put("-");
		v = -v;
	}
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof digits);
	while (n && msg_len < sizeof msg - 1)
		msg[msg_len++] = digits[--n];
}

/* strerror's text for what an exec or an open here can fail with, so
 * messages read as the init's did. */
static const char *errno_text(long e)
{
	switch (e) {
	case 1: return "Operation not permitted";
	case 2: return "No such file or directory";
	case 5: return "Input/output error";
	case 7: return "Argument list too long";
	case 8: return "Exec format error";
	case 12: return "Cannot allocate memory";
	case 13: return "Permission denied";
	case 20: return "Not a directory";
	case 21: return "Is a directory";
	case 24: return "Too many open files";
	case 26: return "Text file busy";
	case 36: return "File name too long";
	case 40: return "Too many levels of symbolic links";
	case 80: return "Accessing a corrupted shared library";
	}
	return 0;
}

static __attribute__((noreturn)) void fail(const char *what, const char *object, long err, int code)
{
	const char *text = errno_text(err);

	put("capsa init: ");
	put(what);
	if (object) {
		put(" ");
		put(object);
	}
	put(": ");
	if (text) {
		put(text);
	} else {
		put("errno ");
		put_number(err);
	}
	put("\n");
	sys4(__NR_write, 2, (long)msg, (long)msg_len, 0);
	die(code);
}

__attribute__((used, noreturn)) void stub_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	long sync_fd, fifo_fd, fifo, rc;

	/* Anything else, e.g. a container file starting "#!/proc/self/exe" run
	 * by a container process, finds nothing here to use. */
	if (argc < 5 || !same(argv[0], "capsa-init")) {
		put("capsa init: this program only runs as a container's init, started by capsa\n");
		sys4(__NR_write, 2, (long)msg, (long)msg_len, 0);
		die(127);
	}
	sync_fd = number(argv[1]);
	fifo_fd = number(argv[2]);
	if (sync_fd < 0 || fifo_fd < 0)
		die(127);

	/* `create` exits once it has "ready", which must not kill us. */
	sys4(__NR_prctl, STUB_PR_SET_PDEATHSIG, 0, 0, 0);
	/* send(), as the init's sync messages went. */
	if (sys6(__NR_sendto, sync_fd, (long)"ready", 5, STUB_MSG_NOSIGNAL, 0, 0) != 5)
		die(1);
	sys4(__NR_close, sync_fd, 0, 0, 0);

	put("/proc/self/fd/");
	put_number(fifo_fd);
	msg[msg_len] = '\0';
	/* Blocks until `start` opens the fifo for reading. */
	fifo = sys4(__NR_openat, STUB_AT_FDCWD, (long)msg, STUB_O_WRONLY | STUB_O_CLOEXEC, 0);
	msg_len = 0;
	if (fifo < 0)
		fail("open exec fifo", 0, -fifo, 1);
	rc = sys4(__NR_write, fifo, (long)"0", 1, 0);
	if (rc != 1)
		fail("write exec fifo", 0, rc < 0 ? -rc : 5 /* EIO */, 1);
	sys4(__NR_close, fifo_fd, 0, 0, 0);

	rc = sys4(__NR_execve, (long)argv[3], (long)(argv + 4), (long)envp, 0);
	fail("exec", argv[3], -rc, 127);
}
