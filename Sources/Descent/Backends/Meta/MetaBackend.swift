// The meta backend (PyTorch's `device='meta'`): storage without memory. An op above has already
// computed its output's shape and dtype and raised any shape error before it reaches `Kernels`, so
// every kernel entry here computes nothing; the entries that return a tensor return one with the
// right shape on the meta device, and the ones whose result depends on values stop as PyTorch does.

enum MetaBackend {
    /// Indices need no check: there are no values to check.
    static func checkedIndices(_ idx: Tensor) -> Tensor { idx }
    /// A data-dependent output shape cannot be known without values.
    static func nonzeroPositions() -> Never {
        fail("nonzero is not supported on the meta device: its output's shape depends on the data")
    }
    /// PyTorch's error for reading values.
    static func readValues() -> Never { noHostMemory(.meta) }
    /// PyTorch's error for copying a meta tensor to a device with memory.
    static func copyOut() -> Never { fail("Cannot copy out of meta tensor; no data!") }
    /// Batch norm's saved per-channel statistics.
    static func batchNormStatistics(channels c: Int, dtype: DType) -> (mean: Tensor, invstd: Tensor) {
        (Tensor.empty([c], dtype: dtype, device: .meta), Tensor.empty([c], dtype: dtype, device: .meta))
    }
    /// A reduced loss: a 0-dim tensor.
    static func scalar(dtype: DType) -> Tensor { Tensor.empty([], dtype: dtype, device: .meta) }
}
