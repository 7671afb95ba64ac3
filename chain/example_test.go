package chain_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
)

// Verifier.Run is the one header-verification loop: here over mainnet's
// genesis block and block 1 (their 80-byte headers as Bitcoin Core
// serialises them), read from a raw header stream.
func ExampleVerifier_Run() {
	genesis := "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c"
	block1 := "010000006fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000982051fd1e4ba744bbbe680e1fee14677ba1a3c3540bf7b1cdb606e857233e0e61bc6649ffff001d01e36299"
	raw, _ := hex.DecodeString(genesis + block1)
	hr, _ := chainfile.NewHeaderReader(bytes.NewReader(raw))
	v := chain.NewVerifier(consensus.MainNet, chain.VerifyOptions{})
	err := v.Run(context.Background(), hr, func(h chain.HeaderInfo) error {
		fmt.Println(h.Height, h.Hash, h.Bits)
		return nil
	})
	r := v.Report()
	fmt.Println(err, v.Err(), r.Links, r.BitsUnchanged, r.TipChainwork)
	// Output:
	// 0 000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f 0x1d00ffff
	// 1 00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048 0x1d00ffff
	// <nil> <nil> 1 1 0000000000000000000000000000000000000000000000000000000200020002
}
