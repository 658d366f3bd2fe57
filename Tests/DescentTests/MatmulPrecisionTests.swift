import Foundation
import Testing
import Descent

/// PyTorch's float32 matmul precision switch: TF32 off by default, "high"/"medium" turn it on.
@Suite(.serialized) struct MatmulPrecisionTests {
    @Test func tf32IsOffByDefaultAndFollowsThePrecision() {
        // torch.get_float32_matmul_precision() == 'highest'; torch.backends.cuda.matmul.allow_tf32 == False
        #expect(getFloat32MatmulPrecision() == "highest" && CUDA.matmulAllowTF32 == false)
        setFloat32MatmulPrecision("high")
        #expect(CUDA.matmulAllowTF32 && getFloat32MatmulPrecision() == "high")
        setFloat32MatmulPrecision("highest")
        #expect(!CUDA.matmulAllowTF32)
    }

    @Test func anUnknownPrecisionStops() async {
        let r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            setFloat32MatmulPrecision("low")
        }
        #expect(stderr(r).contains("Invalid precision: low"), "\(stderr(r))")
    }
}
