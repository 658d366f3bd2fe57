import CDescentKernels

// Multi-tensor optimizer updates (PyTorch's `foreach` implementations, its default on CUDA): during
// `Optimizer.step()` the GPU updates of SGD and Adam/AdamW are gathered per thread, and parameters
// of one group with the same dtype go to the device up to eight at a time in one launch
// (`dk_sgd_multi`, `dk_adam_multi`) instead of one launch each. Each parameter runs the same
// per-element code as the single-tensor kernels, so the results are the same bit for bit. Any other
// GPU work queued meanwhile first launches what was gathered, so the device sees the work in
// program order.

final class UpdateBatch {
    static let slots = 8

    /// The batch the calling thread's optimizer step is gathering, if any.
    static var current: UpdateBatch? {
        dk_get_update_batch().map { Unmanaged<UpdateBatch>.fromOpaque($0).takeUnretainedValue() }
    }
    /// Runs `body` (an optimizer step's updates) gathering its GPU updates, then launches them.
    static func run(_ body: () -> Void) {
        if current != nil { body(); return }
        let batch = UpdateBatch()
        dk_set_update_batch(Unmanaged.passUnretained(batch).toOpaque())
        body()
        dk_set_update_batch(nil)
        batch.flush()
    }

    /// What must be equal for updates to share a launch: the kernel, its device and dtype, and the group's settings.
    private struct Key: Equatable { var kernel: String; var device: Device; var dtype: DType; var settings: [Double] }
    private var key: Key?
    private var pending: [(update: OptimizerUpdate, param: Tensor, grad: Tensor)] = []

    /// Takes an update to launch with others; false for one this batch does not gather.
    func add(_ update: OptimizerUpdate, param: Tensor, grad: Tensor) -> Bool {
        let k: Key
        switch update {
        case let .sgd(_, lr, momentum, dampening, wd, nesterov, _, maximize):
            k = Key(kernel: "dk_sgd_multi_", device: param.device, dtype: param.dtype,
                    settings: [lr, momentum, dampening, wd, nesterov ? 1 : 0, maximize ? 1 : 0])
        case let .adam(_, _, vmax, lr, b1, b2, eps, wd, _, decoupled, maximize):
            k = Key(kernel: "dk_adam_multi_", device: param.device, dtype: param.dtype,
                    settings: [vmax == nil ? 0 : 1, lr, b1, b2, eps, wd, decoupled ? 1 : 0, maximize ? 1 : 0])
        default: return false
        }
        if key != k || pending.count == Self.slots { flush() }
        key = k
        pending.append((update, param, grad))
        return true
    }

    /// Launches what the calling thread's batch gathered, before other GPU work is queued.
    @inline(__always) static func flushBeforeOtherWork() {
        if let b = dk_get_update_batch() { Unmanaged<UpdateBatch>.fromOpaque(b).takeUnretainedValue().flush() }
    }

    /// Launches the gathered updates.
    func flush() {
        guard let k = key, !pending.isEmpty else { return }
        let pending = self.pending
        self.pending = []; key = nil
        let arg = CUDABackend.arg as (Tensor) -> KernelArg, optional = CUDABackend.arg as (Tensor?) -> KernelArg
        var args: [KernelArg] = k.kernel == "dk_adam_multi_"
            ? [.i32(Int32(k.settings[0])), .f64(k.settings[1]), .f64(k.settings[2]), .f64(k.settings[3]), .f64(k.settings[4]),
               .f64(k.settings[5]), .i32(Int32(k.settings[6])), .i32(Int32(k.settings[7]))]
            : [.f64(k.settings[0]), .f64(k.settings[1]), .f64(k.settings[2]), .f64(k.settings[3]), .i32(Int32(k.settings[4])),
               .i32(Int32(k.settings[5]))]
        for slot in 0..<Self.slots {
            guard slot < pending.count else {
                args += k.kernel == "dk_adam_multi_" ? [.i64(0), .i64(0), .null, .null, .null, .null, .null] : [.i64(0), .i32(0), .null, .null, .null]
                continue
            }
            let (update, p, g) = pending[slot]
            switch update {
            case let .adam(m, v, vmax, _, _, _, _, _, step, _, _):
                args += [.i64(Int64(p.count)), .i64(Int64(step)), arg(p), arg(g), arg(m), arg(v), optional(vmax)]
            case let .sgd(buf, _, _, _, _, _, first, _):
                args += [.i64(Int64(p.count)), .i32(first ? 1 : 0), arg(p), arg(g), optional(buf)]
            default: fatalError("UpdateBatch holds only SGD and Adam updates")
            }
        }
        let most = pending.map { $0.param.count }.max()!
        CUDABackend.launch(CUDABackend.context(pending[0].param), k.kernel + KernelType.suffix(k.dtype), elements: most, args)
    }
}
