/* net/tls/baked.S — the PEM certificate chain and key linked into the
   image (net/tls.mk names the files; net/tls/tls_baked.h declares these).
   Each is followed by a NUL, not counted in its length. */
	.section .rodata
	.balign 8
	.globl	tls_baked_cert, tls_baked_cert_len, tls_baked_key, tls_baked_key_len
tls_baked_cert:
	.incbin	TLS_CERT_FILE
1:	.byte	0
	.balign 8
tls_baked_cert_len:
	.quad	1b - tls_baked_cert
tls_baked_key:
	.incbin	TLS_KEY_FILE
2:	.byte	0
	.balign 8
tls_baked_key_len:
	.quad	2b - tls_baked_key
	.section .note.GNU-stack, "", @progbits
