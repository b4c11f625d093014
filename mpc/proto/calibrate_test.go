package proto

import (
	"context"
	"testing"

	"github.com/marill-go/marill/mpc/fxp"
)

func TestCalibrate(t *testing.T) {
	f := fxp.MustNew(fxp.Default())
	k, err := Calibrate(context.Background(), f, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Kernels() {
		v, ok := k[name]
		if !ok || !(v > 0) || v > 0.01 {
			t.Errorf("kernel %s: %v s per unit (present %v); want a positive time under 10 ms", name, v, ok)
		}
	}
	if len(k) != len(Kernels()) {
		t.Errorf("Calibrate returned %d kernels, Kernels lists %d", len(k), len(Kernels()))
	}
	if _, err := Calibrate(context.Background(), f, 3); err == nil {
		t.Error("3 elements accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Calibrate(ctx, f, 1<<10); err == nil {
		t.Error("cancelled calibration succeeded")
	}
}
