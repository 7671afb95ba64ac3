package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/store"
)

// ImportReport says what a file import did.
type ImportReport struct {
	Kind    string `json:"kind"` // headers, blocks, prices
	Network string `json:"network,omitempty"`
	// Rows read from the file; Written counts rows inserted or changed
	// (rows from a node are never changed by an import).
	Rows        int64  `json:"rows"`
	Written     int64  `json:"rows_written"`
	FirstHeight int64  `json:"first_height,omitempty"`
	LastHeight  int64  `json:"last_height,omitempty"`
	FirstDate   string `json:"first_date,omitempty"`
	LastDate    string `json:"last_date,omitempty"`
	// BitsFromEpochTable counts blocks-CSV rows whose bits came from the
	// embedded epoch table.
	BitsFromEpochTable int64 `json:"bits_from_epoch_table,omitempty"`
	// Verify is the header verification report (nil when skipped).
	Verify *chain.VerifyReport `json:"verify,omitempty"`
}

// HeaderImportOptions configure ImportHeaders.
type HeaderImportOptions struct {
	Layout      chain.Layout
	StartHeight int64
	// NoVerify skips the consensus checks (proof of work, links,
	// retargets); they are on by default.
	NoVerify bool
	// Epochs supplies first-block times for retargets whose epoch starts
	// before the file (snapshot.Epochs() for mainnet).
	Epochs []snapshot.Epoch
	// OnRow is called every 4096 rows with the rows read so far.
	OnRow func(rows int64)
}

// ErrVerify is wrapped when imported headers fail verification; nothing
// is written then.
var ErrVerify = errors.New("ingest: header verification failed; nothing imported")

// ImportHeaders reads raw 80-byte headers (plain or gzip, in opt.Layout)
// and writes their fields in one transaction, after checking every header
// against the consensus rules of p unless opt.NoVerify. A file that fails
// verification, or ends mid-header, writes nothing.
func ImportHeaders(ctx context.Context, db store.Importer, r io.Reader, p *consensus.Params, opt HeaderImportOptions) (ImportReport, error) {
	rep := ImportReport{Kind: "headers", Network: p.Name}
	hr, err := chainfile.NewHeaderReader(r)
	if err != nil {
		return rep, err
	}
	im, err := db.BeginImport(ctx, p.Name)
	if err != nil {
		return rep, err
	}
	defer im.Rollback()
	start := opt.StartHeight
	if opt.Layout == chain.LayoutEpochBoundaries {
		start = 0
	}
	v := chain.NewVerifier(p, chain.VerifyOptions{Layout: opt.Layout, StartHeight: start, Epochs: opt.Epochs, SkipChecks: opt.NoVerify})
	err = v.Run(ctx, hr, func(info chain.HeaderInfo) error {
		if err := im.Header(info.Record(p)); err != nil {
			return err
		}
		if rep.Rows == 0 {
			rep.FirstHeight = info.Height
		}
		rep.Rows++
		rep.LastHeight = info.Height
		if opt.OnRow != nil && rep.Rows%4096 == 0 {
			opt.OnRow(rep.Rows)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("ingest: %w", err)
	}
	if !opt.NoVerify {
		vr := v.Report()
		rep.Verify = &vr
		if err := v.Err(); err != nil {
			return rep, fmt.Errorf("%w: %w", ErrVerify, err)
		}
	}
	// Commit writes the last partial batch: the count is whole after it.
	err = im.Commit()
	rep.Written = im.Rows
	return rep, err
}

// ImportBlocksCSV reads a blocks CSV (height,time,pool_slug; plain or
// gzip) and writes every row in one transaction. The CSV has no bits: a
// new block takes the bits of its epoch from epochs (the embedded table
// has all of mainnet's), so difficulty is known at every height without
// headers; a block already known from a header keeps the header's bits.
func ImportBlocksCSV(ctx context.Context, db store.Importer, r io.Reader, p *consensus.Params, epochs []snapshot.Epoch, onRow func(int64)) (ImportReport, error) {
	rep := ImportReport{Kind: "blocks", Network: p.Name}
	br, err := chainfile.NewBlocksCSVReader(r)
	if err != nil {
		return rep, err
	}
	im, err := db.BeginImport(ctx, p.Name)
	if err != nil {
		return rep, err
	}
	defer im.Rollback()
	interval := p.RetargetInterval()
	for {
		b, line, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rep, err
		}
		if rep.Rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if onRow != nil && rep.Rows > 0 {
				onRow(rep.Rows)
			}
		}
		var bits consensus.Bits
		if e := b.Height / interval; e < int64(len(epochs)) && epochs[e].Epoch == e {
			bits = consensus.Bits(epochs[e].Bits)
		}
		if bits != 0 {
			rep.BitsFromEpochTable++
		}
		// Rows are written in batches: a database error names the
		// heights of the batch, and the line is where the batch ended.
		if err := im.BlockLabel(b.Height, b.Time, b.Pool, bits, consensus.BlockSubsidy(b.Height, p)); err != nil {
			return rep, fmt.Errorf("writing the rows up to line %d: %w", line, err)
		}
		if rep.Rows == 0 {
			rep.FirstHeight = b.Height
		}
		rep.Rows++
		rep.LastHeight = b.Height
	}
	if rep.Rows == 0 {
		return rep, hashlab.Invalidf("rows", "none", "at least one row height,time,pool_slug after the header", chainfile.ErrBlocksCSV)
	}
	// Commit writes the last partial batch: the count is whole after it.
	err = im.Commit()
	rep.Written = im.Rows
	return rep, err
}

// ImportPrices reads a CSV of daily USD prices (chainfile.ReadPrices) and
// writes it in one transaction.
func ImportPrices(ctx context.Context, db store.Importer, r io.Reader) (ImportReport, error) {
	return ImportPricesWith(ctx, db, r, chainfile.PriceOptions{})
}

// ImportPricesWith is ImportPrices with the price column and empty-cell
// handling of opt (chainfile.ReadPricesWith).
func ImportPricesWith(ctx context.Context, db store.Importer, r io.Reader, opt chainfile.PriceOptions) (ImportReport, error) {
	rep := ImportReport{Kind: "prices"}
	ps, err := chainfile.ReadPricesWith(r, opt)
	if err != nil {
		return rep, err
	}
	im, err := db.BeginImport(ctx, "")
	if err != nil {
		return rep, err
	}
	defer im.Rollback()
	for _, p := range ps {
		if err := im.Price(p.Date, p.USD); err != nil {
			return rep, err
		}
		if rep.FirstDate == "" || p.Date < rep.FirstDate {
			rep.FirstDate = p.Date
		}
		if p.Date > rep.LastDate {
			rep.LastDate = p.Date
		}
	}
	rep.Rows = int64(len(ps))
	// Commit writes the last partial batch: the count is whole after it.
	err = im.Commit()
	rep.Written = im.Rows
	return rep, err
}
