/*
 * wire.h - short names for the protoc-c types of proto/reclaim.proto used across the daemon.
 * The generated names carry the package ("Reclaim__V1__"); these aliases keep lines readable.
 */
#ifndef RECLAIMD_WIRE_H
#define RECLAIMD_WIRE_H

#include "reclaim.pb-c.h"

typedef Reclaim__V1__Request Request;
typedef Reclaim__V1__Response Response;
typedef Reclaim__V1__Status Status;
typedef Reclaim__V1__Code Code;

#define CODE(name)	RECLAIM__V1__CODE__##name
#define REQ(name)	RECLAIM__V1__REQUEST__MSG_##name
#define RESP(name)	RECLAIM__V1__RESPONSE__MSG_##name

/* The protocol version this daemon speaks (Hello.protocol_version). */
#define RECLAIM_PROTOCOL_VERSION 1u

#endif
