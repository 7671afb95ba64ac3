// Package mempool is the network-state source for any
// mempool.space-compatible REST API: the public instance
// (https://mempool.space/api, the default) or a self-hosted one, such as
// the mempool that node-in-a-box distributions run beside their node.
//
// It implements netstate.Source (tip, epoch, bits, average fees per
// block over the last N blocks, price) and netstate.PriceSource, and
// gives daily closes for `import prices --from mempool`. Every value's
// Provenance has source "mempool", the base URL as detail and the block's
// header time or the price's own time as as_of.
//
// API followed: the mempool.space REST API reference,
// https://mempool.space/docs/api/rest (General: "GET Difficulty
// Adjustment" /v1/difficulty-adjustment, "GET Price" /v1/prices, "GET
// Historical Price" /v1/historical-price; Blocks: "GET Block Tip Height"
// /blocks/tip/height, "GET Block Tip Hash" /blocks/tip/hash, "GET Block"
// /block/:hash, "GET Block Height" /block-height/:height, "GET Blocks
// (v1)" /v1/blocks/:startHeight with the extras field, 15 blocks per
// page). Only the documented fields are read; unknown fields are
// ignored.
//
// Terms: mempool is open-source software (GNU AGPL-3.0); this package
// contains none of its code and only speaks its public HTTP API. The
// public instance enforces rate limits (HTTP 429, reported as
// source.ErrRateLimited) and asks heavy users to self-host or sponsor;
// one State costs about 17 requests with the default 144-block fee
// window. Test data under testdata/ is hand-made in the documented
// shapes, not recorded from the live service.
//
// This package must not import cmd/, store, server or ingest.
package mempool
