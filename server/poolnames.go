package server

// extraPoolNames names the pool slugs of the reference blocks CSV that the
// embedded mempool pools-v2 list does not (it names Ocean "OCEAN", slug
// "ocean", where the CSV, from bitcoin-data/mining-pools via
// sorukumar/bitcoin-mining-pools, says "oceanxyz"). The names are those
// of sorukumar/bitcoin-mining-pools' dashboard/data/lookup/
// lookup_slug_to_name.json (BSD-2-Clause), for these slugs only.
var extraPoolNames = map[string]string{
	"oceanxyz":              "Ocean.xyz",
	"bitdeer":               "Bitdeer",
	"btcpool(unidentified)": "BTCPool (unidentified)",
	"tmspool":               "TMSPool",
	"togetherpool":          "TogetherPool",
	"bitfufu":               "BitFuFu",
	"cleanincentive":        "CleanIncentive",
	"solopoolcom":           "SoloPool.com",
	"letsmineit":            "LetsMine.it",
	"noderunners":           "Noderunners",
}
