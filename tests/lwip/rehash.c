/*
 * tests/lwip/rehash.c — lwIP's TCP test helper, adapted to patch 0002.
 *
 * tcp/tcp_helper.c's tcp_set_state() puts a test's pcb straight on the
 * active (or TIME-WAIT) list with TCP_REG and only then writes its
 * addresses and ports. Stock lwIP does not mind: its lists are walked.
 * With LWIP_TCP_PCB_HASH (net/lwip/patches/0002-pcb-hash-lookup.patch,
 * net/lwip/pcbhash.c) TCP_REG also hashes the pcb by its address pair,
 * which lwIP itself always sets first (tcp_connect, tcp_listen_input);
 * hashed by a pair of zeros, the test's segments would find no pcb.
 * So the call is wrapped (-Wl,--wrap=tcp_set_state): after lwIP's helper
 * has run, the pcb leaves its list and comes back through TCP_RMV and
 * TCP_REG with its real pair, the order lwIP keeps. Nothing else of the
 * helper or the tests changes.
 */
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "tcp/tcp_helper.h"

void __real_tcp_set_state(struct tcp_pcb *pcb, enum tcp_state state, const ip_addr_t *local_ip,
			  const ip_addr_t *remote_ip, u16_t local_port, u16_t remote_port);
void __wrap_tcp_set_state(struct tcp_pcb *pcb, enum tcp_state state, const ip_addr_t *local_ip,
			  const ip_addr_t *remote_ip, u16_t local_port, u16_t remote_port);

void __wrap_tcp_set_state(struct tcp_pcb *pcb, enum tcp_state state, const ip_addr_t *local_ip,
			  const ip_addr_t *remote_ip, u16_t local_port, u16_t remote_port)
{
	__real_tcp_set_state(pcb, state, local_ip, remote_ip, local_port, remote_port);
	struct tcp_pcb **list = state == ESTABLISHED ? &tcp_active_pcbs :
				state == TIME_WAIT ? &tcp_tw_pcbs : NULL;
	if (list) {
		TCP_RMV(list, pcb);
		TCP_REG(list, pcb);
	}
}
