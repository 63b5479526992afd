#include "textflag.h"

// func prefetch(a, b, c, d, base unsafe.Pointer, mask uint32)
TEXT ·prefetch(SB), NOSPLIT, $0-44
	MOVQ a+0(FP), AX
	TESTQ AX, AX
	JZ b
	PREFETCHT0 (AX)
b:
	MOVQ b+8(FP), AX
	TESTQ AX, AX
	JZ c
	PREFETCHT0 (AX)
c:
	MOVQ c+16(FP), AX
	TESTQ AX, AX
	JZ d
	PREFETCHT0 (AX)
d:
	MOVQ d+24(FP), AX
	TESTQ AX, AX
	JZ lines
	PREFETCHT0 (AX)
lines:
	MOVQ base+32(FP), AX
	MOVL mask+40(FP), BX
	TESTQ AX, AX
	JZ done
loop:
	TESTL BX, BX
	JZ done
	BSFL BX, CX
	MOVQ CX, DX
	SHLQ $6, DX
	PREFETCHT0 (AX)(DX*1)
	BTRL CX, BX
	JMP loop
done:
	RET
