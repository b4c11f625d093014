"""Tests of marill-kernel as a real Jupyter client sees it.

MarillKernelTests is jupyter_kernel_test's conformance suite (Debian's
python3-jupyter-kernel-test): it starts the kernel through jupyter_client
from its kernelspec and validates every message against the protocol's
schema. MarillKernelRobustness drives a kernel with jupyter_client for what
that suite does not cover: interrupts, panics, bad signatures, output of
goroutines and displays updated in place.

Run by kernel/jupyter_test.go (go test ./kernel -run TestJupyter), which
builds the kernel, installs its kernelspec under a temporary prefix and sets
JUPYTER_PATH and MARILL_KERNEL_NAME. By hand:

    JUPYTER_PATH=DIR/share/jupyter /usr/bin/python3 -m unittest -v test_marill_kernel
"""

import os
import queue
import signal
import time
import unittest
import uuid

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

KERNEL_NAME = os.environ.get("MARILL_KERNEL_NAME", "marill")
TIMEOUT = 60

FIGURE = """r, _ := sim.SimulateConfig(context.Background(), marill.Tiny(marill.BERT), marill.Knobs{}, sim.Options{Family: sim.NewSIGMA()})
f, _ := plots.Layers(r, plots.Comm, plots.Options{})
"""


class MarillKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'fmt.Fprintln(os.Stderr, "to stderr")'

    completion_samples = [
        {"text": "marill.BERTB", "matches": {"BERTBase"}},
        {"text": "fmt.Sprin", "matches": {"Sprint", "Sprintf", "Sprintln"}},
        {"text": "sim.NewSIG", "matches": {"NewSIGMA"}},
    ]

    complete_code_samples = ["1+1", "x := 3", "func f() int { return 1 }", 'fmt.Println("a")']
    incomplete_code_samples = ["func f() {", "for i := 0; i < 3; i++ {", "x := `raw", "fmt.Println("]
    invalid_code_samples = ["x := )", "}", "3 3"]

    code_generate_error = 'panic("boom")'

    code_execute_result = [
        {"code": "1+2", "result": "3"},
        {"code": 'strings.ToUpper("go")', "result": "GO"},
        {"code": "mpc.FormatBytes(3 << 20)", "result": "3.0 MiB"},
        {
            "code": "r, _ := sim.SimulateConfig(context.Background(), marill.Tiny(marill.BERT), marill.Knobs{}, sim.Options{Family: sim.NewSIGMA()})\nr",
            "mime": "text/html",
        },
        {"code": FIGURE + "f", "mime": "image/png"},
    ]

    code_display_data = [
        {"code": 'display(repl.HTML("<b>bold</b>"))', "mime": "text/html"},
        {"code": FIGURE + "display(f)", "mime": "image/png"},
        {"code": FIGURE + "display(f)", "mime": "image/svg+xml"},
    ]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "1+2"

    code_inspect_sample = "marill.BERTBase"


def collect(kc, msg_id, timeout=TIMEOUT):
    """Returns the shell reply to msg_id and the IOPub messages it caused,
    up to its idle status."""
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    outputs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                break
            continue
        if msg["msg_type"] == "execute_input":
            continue
        outputs.append(msg)
    return reply, outputs


class MarillKernelRobustness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=KERNEL_NAME)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel()

    def setUp(self):
        self.drain()

    def drain(self):
        for get in (self.kc.get_shell_msg, self.kc.get_iopub_msg):
            while True:
                try:
                    get(timeout=0.2)
                except queue.Empty:
                    break

    def run_cell(self, code, timeout=TIMEOUT):
        return collect(self.kc, self.kc.execute(code), timeout)

    def assert_alive(self):
        reply, outputs = self.run_cell("40 + 2")
        self.assertEqual(reply["content"]["status"], "ok")
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(len(results), 1)
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "42")

    def assert_one_error(self, outputs, ename):
        self.assertEqual([m["msg_type"] for m in outputs], ["error"], outputs)
        self.assertEqual(outputs[0]["content"]["ename"], ename)
        return outputs[0]["content"]

    def interrupted_loop(self, interrupt):
        msg_id = self.kc.execute("n := 0\nfor {\n\tn++\n}")
        time.sleep(0.5)  # the loop is running
        start = time.time()
        interrupt()
        reply, outputs = collect(self.kc, msg_id, timeout=30)
        took = time.time() - start
        self.assertEqual(reply["content"]["status"], "error")
        self.assert_one_error(outputs, "Interrupted")
        self.assertLess(took, 10, "the interrupt took %.1f s" % took)
        self.assert_alive()
        # The session kept its state: n counted while the loop ran.
        reply, outputs = self.run_cell("n > 0")
        self.assertEqual(outputs[-1]["content"]["data"]["text/plain"], "true")

    def test_interrupt_message(self):
        # The kernelspec says interrupt_mode "message": jupyter_client sends
        # an interrupt_request on the control channel.
        self.assertEqual(self.km.kernel_spec.interrupt_mode, "message")
        self.interrupted_loop(self.km.interrupt_kernel)

    def test_interrupt_sigint(self):
        self.interrupted_loop(lambda: self.km.signal_kernel(signal.SIGINT))

    def test_panic_in_user_code(self):
        reply, outputs = self.run_cell('func f() { panic("boom") }\nf()')
        self.assertEqual(reply["content"]["status"], "error")
        err = self.assert_one_error(outputs, "panic")
        self.assertEqual(err["evalue"], "boom")
        self.assertIn("  f at 1:12", err["traceback"])
        self.assert_alive()

    def test_panic_in_compiled_code(self):
        reply, outputs = self.run_cell("mpc.Zeros(-1)")
        self.assertEqual(reply["content"]["status"], "error")
        err = self.assert_one_error(outputs, "panic")
        self.assertIn("non-positive dimension", err["evalue"])
        self.assertTrue(any("mpc.Zeros" in line for line in err["traceback"]), err["traceback"])
        self.assert_alive()

    def test_panic_in_goroutine(self):
        reply, outputs = self.run_cell('go func() { panic("in a goroutine") }()\ntime.Sleep(200 * time.Millisecond)')
        self.assertEqual(reply["content"]["status"], "error")
        err = self.assert_one_error(outputs, "panic")
        self.assertIn("in a goroutine", err["evalue"])
        self.assert_alive()

    def test_bad_signature_rejected(self):
        # A message signed with another key is dropped: no reply, no output,
        # and the kernel goes on answering good messages.
        forger = Session(key=b"not-the-connection-key", username="mallory")
        msg = forger.msg("execute_request", content={
            "code": 'fmt.Println("forged")', "silent": False, "store_history": True,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        forger.send(self.kc.shell_channel.socket, msg)
        with self.assertRaises(queue.Empty):
            self.kc.get_shell_msg(timeout=1.5)
        while True:
            try:
                m = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                break
            self.assertNotEqual(m["parent_header"].get("msg_id"), msg["header"]["msg_id"], m)
        self.assert_alive()

    def test_goroutine_output_reaches_its_cell(self):
        first = self.kc.execute('release := make(chan bool)\ndone := make(chan bool)\n'
                                'go func() { <-release; fmt.Println("from the first cell\'s goroutine"); done <- true }()\n'
                                'fmt.Println("first cell")')
        _, first_outputs = collect(self.kc, first)
        second = self.kc.execute('release <- true\n<-done\ntime.Sleep(100 * time.Millisecond)\nfmt.Println("second cell")')
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        texts = {first: "", second: ""}
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                if "goroutine" in texts[first]:
                    break
                continue
            parent = m["parent_header"].get("msg_id")
            if m["msg_type"] == "stream" and parent in texts:
                texts[parent] += m["content"]["text"]
        first_text = "".join(m["content"]["text"] for m in first_outputs if m["msg_type"] == "stream")
        self.assertEqual(first_text + texts[first], "first cell\nfrom the first cell's goroutine\n")
        self.assertEqual(texts[second], "second cell\n")

    def test_progress_updates_in_place(self):
        reply, outputs = self.run_cell(
            'g := study.Grid{Models: []string{"tiny-bert"}, SeqLens: []int{8}, LoRARanks: []int{0, 2, 4, 8}}\n'
            'res, err := study.Run(repl.Context(), g, study.PlanEvaluator(), study.Options{Progress: repl.Progress()})\n'
            'err')
        self.assertEqual(reply["content"]["status"], "ok")
        displays = [m for m in outputs if m["msg_type"] == "display_data"]
        updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
        self.assertEqual(len(displays), 1, outputs)
        display_id = displays[0]["content"]["transient"]["display_id"]
        self.assertTrue(display_id)
        self.assertIn("<progress", displays[0]["content"]["data"]["text/html"])
        self.assertGreaterEqual(len(updates), 1)
        for u in updates:
            self.assertEqual(u["content"]["transient"]["display_id"], display_id)
        self.assertIn("4/4 (100%)", updates[-1]["content"]["data"]["text/plain"])
        # A handle made by hand.
        reply, outputs = self.run_cell('h := repl.NewDisplay("step 1")\nh.Update("step 2")')
        kinds = [(m["msg_type"], m["content"]["data"]["text/plain"]) for m in outputs]
        self.assertEqual(kinds, [("display_data", "step 1"), ("update_display_data", "step 2")])

    def test_rich_results(self):
        reply, outputs = self.run_cell(FIGURE + "f")
        result = [m for m in outputs if m["msg_type"] == "execute_result"][0]["content"]
        self.assertIn("image/png", result["data"])
        self.assertTrue(result["data"]["image/svg+xml"].lstrip().startswith("<?xml") or "<svg" in result["data"]["image/svg+xml"])
        size = result["metadata"]["image/png"]
        self.assertGreater(size["width"], 100)
        self.assertGreater(size["height"], 100)
        # A plan and a tensor render as HTML tables, with text.
        reply, outputs = self.run_cell(
            "pre, _ := marill.NewPretrained(marill.Tiny(marill.BERT), 1)\npre.Plan()")
        data = [m for m in outputs if m["msg_type"] == "execute_result"][0]["content"]["data"]
        self.assertIn("<table", data["text/html"])
        self.assertIn("block1", data["text/plain"])
        reply, outputs = self.run_cell("mpc.Zeros(2, 3)")
        data = [m for m in outputs if m["msg_type"] == "execute_result"][0]["content"]["data"]
        self.assertIn("<caption>Dense[2×3]</caption>", data["text/html"])

    def test_stop_on_error_aborts_queued_cells(self):
        # The first cell runs long enough for the second to be queued.
        failing = self.kc.execute('time.Sleep(300 * time.Millisecond)\npanic("first")')
        queued = self.kc.execute('fmt.Println("must not run")')
        replies = {}
        while len(replies) < 2:
            r = self.kc.get_shell_msg(timeout=TIMEOUT)
            replies[r["parent_header"]["msg_id"]] = r["content"]["status"]
        self.assertEqual(replies[failing], "error")
        self.assertEqual(replies[queued], "aborted")
        self.drain()
        self.assert_alive()


class MarillKernelShutdown(unittest.TestCase):
    def test_shutdown_exits(self):
        # A shutdown_request makes the kernel exit by itself, with status 0,
        # well before jupyter_client would kill it.
        km, kc = start_new_kernel(kernel_name=KERNEL_NAME)
        kc.stop_channels()
        proc = km.provisioner.process
        start = time.time()
        km.shutdown_kernel()
        took = time.time() - start
        self.assertEqual(proc.wait(timeout=1), 0)
        self.assertLess(took, km.shutdown_wait_time)


if __name__ == "__main__":
    unittest.main()
