/*
 * tests/guest/test_pcbhash.c — net/lwip/pcbhash.c: the pcb lookup by
 * address pair and the constant-time unlink (patch 0002).
 *
 * On pcbs of the test's own (zeroed, never given to lwIP) and list heads
 * of its own, under the net lock: the hash table is the live one, so the
 * addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24,
 * 2001:db8::/32) that no real segment carries, and every pcb leaves the
 * table before the test returns. Results are taken under the lock and
 * checked after it is released.
 */
#include <stdbool.h>
#include <string.h>
#include "tests/guest/ktest.h"
#include "net/netlock.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#define NPCB 4096
static struct tcp_pcb pcbs[NPCB + 4];

static void pcb_set(struct tcp_pcb *p, unsigned i, enum tcp_state st)
{
	memset(p, 0, sizeof *p);
	IP_ADDR4(&p->local_ip, 192, 0, 2, 1);
	IP_ADDR4(&p->remote_ip, 198, 51, 100, (uint8_t)(i % 250));
	p->local_port = 7;
	p->remote_port = (u16_t)(1024 + i);
	p->state = st;
}

static struct tcp_pcb *find(const struct tcp_pcb *like, const struct netif *inp)
{
	return tcp_pcb_hash_find(like->local_port, like->remote_port, &like->local_ip,
				 &like->remote_ip, inp);
}

/* The list from head: every pcb's list_pprev points at it; how many. */
static long list_check(struct tcp_pcb **head)
{
	long n = 0;
	for (struct tcp_pcb **pp = head; *pp; pp = &(*pp)->next, n++)
		if ((*pp)->list_pprev != pp)
			return -1 - n;
	return n;
}

static struct netif nif_a, nif_b;

KTEST(pcbhash, add_find_remove_4096)
{
	static struct tcp_pcb *list;
	long found = 0, wrong = 0, after_del = 0, gone_found = 0, len1, len2, len3;
	struct tcp_pcb absent;
	pcb_set(&absent, NPCB + 7, ESTABLISHED);
	net_lock();
	for (unsigned i = 0; i < NPCB; i++) {
		pcb_set(&pcbs[i], i, ESTABLISHED);
		tcp_pcb_hash_add(&list, &pcbs[i]);
	}
	len1 = list_check(&list);
	for (unsigned i = 0; i < NPCB; i++) {
		struct tcp_pcb *f = find(&pcbs[i], &nif_a);
		found += f == &pcbs[i];
		wrong += f != &pcbs[i];
	}
	bool absent_found = find(&absent, &nif_a) != NULL;
	/* every other one goes, from the middle of the list too */
	for (unsigned i = 0; i < NPCB; i += 2)
		tcp_pcb_hash_del(&list, &pcbs[i]);
	len2 = list_check(&list);
	for (unsigned i = 0; i < NPCB; i++) {
		struct tcp_pcb *f = find(&pcbs[i], &nif_a);
		if (i % 2)
			after_del += f == &pcbs[i];
		else
			gone_found += f != NULL;
	}
	bool del_twice_harmless = true;
	tcp_pcb_hash_del(&list, &pcbs[0]);	/* on no list: left alone */
	del_twice_harmless = list_check(&list) == len2;
	for (unsigned i = 1; i < NPCB; i += 2)
		tcp_pcb_hash_del(&list, &pcbs[i]);
	len3 = list_check(&list);
	bool first_gone = find(&pcbs[1], &nif_a) == NULL;
	net_unlock();
	KT_EQ(len1, NPCB);
	KT_EQ(found, NPCB);
	KT_EQ(wrong, 0);
	KT_ASSERT(!absent_found);
	KT_EQ(len2, NPCB / 2);
	KT_EQ(after_del, NPCB / 2);
	KT_EQ(gone_found, 0);
	KT_ASSERT(del_twice_harmless);
	KT_EQ(len3, 0);
	KT_ASSERT(list == NULL);
	KT_ASSERT(first_gone);
}

/* The active pcb of a pair wins over its TIME_WAIT one (stock tcp_input
   tried the active list first); a pcb bound to a netif matches only
   segments from it; IPv6 pairs are told from IPv4 ones. */
KTEST(pcbhash, active_before_timewait_netif_and_v6)
{
	static struct tcp_pcb *active, *tw;
	struct tcp_pcb *a = &pcbs[0], *t = &pcbs[1], *b = &pcbs[2], *v6 = &pcbs[3];
	nif_a.num = 0;
	nif_b.num = 4;
	net_lock();
	pcb_set(t, 1, TIME_WAIT);
	tcp_pcb_hash_add(&tw, t);
	struct tcp_pcb *only_tw = find(t, &nif_a);
	pcb_set(a, 1, ESTABLISHED);
	tcp_pcb_hash_add(&active, a);
	struct tcp_pcb *both = find(t, &nif_a);
	tcp_pcb_hash_del(&active, a);
	struct tcp_pcb *tw_again = find(t, &nif_a);
	tcp_pcb_hash_del(&tw, t);

	pcb_set(b, 2, ESTABLISHED);
	b->netif_idx = netif_get_index(&nif_b);
	tcp_pcb_hash_add(&active, b);
	struct tcp_pcb *from_a = find(b, &nif_a), *from_b = find(b, &nif_b);
	tcp_pcb_hash_del(&active, b);

	pcb_set(v6, 3, ESTABLISHED);
	IP_ADDR6(&v6->local_ip, PP_HTONL(0x20010db8), 0, 0, PP_HTONL(1));
	IP_ADDR6(&v6->remote_ip, PP_HTONL(0x20010db8), 0, 0, PP_HTONL(2));
	tcp_pcb_hash_add(&active, v6);
	struct tcp_pcb *v6_found = find(v6, &nif_a);
	struct tcp_pcb v4_like;
	pcb_set(&v4_like, 3, ESTABLISHED);
	/* the same folded words as v6's addresses, as IPv4 */
	ip_addr_set_ip4_u32(&v4_like.local_ip, PP_HTONL(0x20010db8) ^ PP_HTONL(1));
	ip_addr_set_ip4_u32(&v4_like.remote_ip, PP_HTONL(0x20010db8) ^ PP_HTONL(2));
	struct tcp_pcb *v4_found = find(&v4_like, &nif_a);
	tcp_pcb_hash_del(&active, v6);
	net_unlock();
	KT_ASSERT(only_tw == t);
	KT_ASSERT(both == a);
	KT_ASSERT(tw_again == t);
	KT_ASSERT(from_a == NULL);
	KT_ASSERT(from_b == b);
	KT_ASSERT(v6_found == v6);
	KT_ASSERT(v4_found == NULL);
	KT_ASSERT(active == NULL && tw == NULL);
}
