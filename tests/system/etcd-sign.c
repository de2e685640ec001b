/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * etcd-sign - the etcd tests' forger: print the signed value of an export,
 * as the engine writes it, made with the key of state directory DIR (made
 * there when there is none), for key path KEY and the parameters PARAMS (a
 * JSON object).  The tests put it with etcdctl, under KEY or another key.
 *
 *   etcd-sign DIR KEY PARAMS
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cluster/trust.h"

int main(int argc, char **argv)
{
	unsigned char pk[TRUST_PK_BYTES], sk[TRUST_SK_BYTES];
	json_t *params;
	char *v;

	if (argc != 4) {
		fputs("usage: etcd-sign DIR KEY PARAMS\n", stderr);
		return 2;
	}
	params = json_loads(argv[3], 0, NULL);
	if (!json_is_object(params)) {
		fputs("etcd-sign: PARAMS is not a JSON object\n", stderr);
		return 2;
	}
	if (trust_init() < 0 || trust_host_key(argv[1], pk, sk) < 0)
		return 1;
	v = trust_sign(argv[2], params, pk, sk);
	json_decref(params);
	if (!v)
		return 1;
	puts(v);
	free(v);
	return 0;
}
