import CDescentKernels

/// Per-thread settings that Swift cannot keep itself (it has no thread-local variables): they live
/// in C `_Thread_local` storage, read with one inlined load.
enum ThreadState {
    /// Autograd's grad mode on the calling thread (PyTorch's thread-local `GradMode`); true on a new thread.
    static var gradEnabled: Bool {
        @inline(__always) get { dk_get_grad_disabled() == 0 }
        @inline(__always) set { dk_set_grad_disabled(newValue ? 0 : 1) }
    }
}
