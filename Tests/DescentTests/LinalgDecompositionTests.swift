import Testing
import Foundation
import Descent

extension Core {
/// torch.linalg's cholesky, qr, eigh, svd, pinv, matrix_rank, slogdet and lstsq against torch 2.13
/// (snippets beside them). Eigen- and singular vectors are compared through sign-free quantities.
@Suite struct LinalgDecompositionTests {
    // A = torch.tensor([[4., 2., 0.6], [2., 5., 1.], [0.6, 1., 3.]], requires_grad=True)
    // M = torch.tensor([[1., 2., 0.5], [-1., 0.3, 2.], [0.7, -0.4, 1.], [2., 1., -1.]], requires_grad=True)
    // W1 = torch.linspace(-1, 1, 12).reshape(4, 3); W2 = torch.linspace(0.5, -0.5, 9).reshape(3, 3)
    static func spd() -> Tensor { Tensor([[4.0, 2.0, 0.6], [2.0, 5.0, 1.0], [0.6, 1.0, 3.0]]).requiresGrad_() }
    static func tall() -> Tensor { Tensor([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0], [0.7, -0.4, 1.0], [2.0, 1.0, -1.0]]).requiresGrad_() }
    static let w1 = Tensor.linspace(-1, 1, count: 12).reshape(4, 3)

    @Test func choleskyAndQRMatchPyTorch() {
        // L = torch.linalg.cholesky(A); (L * torch.arange(9.).reshape(3, 3)).sum().backward(); A.grad
        let a = Self.spd()
        let l = linalg.cholesky(a)
        expectValues(l, [2, 0, 0, 1, 2, 0, 0.30000001192092896, 0.34999996423721313, 1.6695806980133057], atol: 1e-6)
        #expect(l.gradFn == "LinalgCholeskyExBackward0")
        (l * Tensor.arange(9.0).reshape(3, 3)).sum().backward()
        expectValues(a.grad!, [-0.15470387041568756, 0.1668291985988617, 0.47526177763938904, 0.1668292135000229, 0.7671217322349548,
                               1.3307331800460815, 0.4752618074417114, 1.330733060836792, 2.395811080932617], atol: 1e-5)
        // Q, R = torch.linalg.qr(M); ((Q * W1).sum() + (R * W2).sum()).backward(); M.grad (LAPACK's signs: R's diagonal negative here)
        let m = Self.tall()
        let (q, r) = linalg.qr(m)
        expectValues(q, [-0.39253437519073486, -0.7933108806610107, -0.10485097765922546, 0.3925343453884125, -0.4453660249710083, -0.5674154162406921,
                         -0.27477404475212097, 0.4140816330909729, -0.8149451017379761, -0.785068690776825, 0.02904379367828369, 0.0539485439658165], atol: 1e-5)
        expectValues(r, [-2.5475478172302246, -1.3424677848815918, 1.0990961790084839, 0, -1.8568202257156372, -0.9023497104644775, 0, 0, -2.056150197982788], atol: 1e-5)
        ((q * Self.w1).sum() + (r * Tensor.linspace(0.5, -0.5, count: 9).reshape(3, 3)).sum()).backward()
        expectValues(m.grad!, [0.23984351754188538, -0.1187172681093216, 0.21167533099651337, 0.5510554313659668, -0.2254919707775116, 0.23839211463928223,
                               0.3644621968269348, -0.4436122179031372, 0.39106351137161255, -0.6088427305221558, -0.3757883310317993, -0.4419573247432709], atol: 1e-5)
    }

    @Test func eighMatchesPyTorch() {
        // w, V = torch.linalg.eigh(A); (w * torch.tensor([1., 2., 3.])).sum().backward(); A.grad
        let a = Self.spd()
        let (w, v) = linalg.eigh(a)
        expectValues(w, [2.372468948364258, 2.722508430480957, 6.905022144317627], atol: 1e-5)
        // V's columns up to sign: torch's V = [[-0.6395, -0.5014, -0.5828], [0.6456, 0.0613, -0.7612], [-0.4174, 0.8631, -0.2845]]
        expectValues(v.abs(), [0.639505922794342, 0.5013668537139893, 0.5828065276145935, 0.6456215381622314, 0.06132858991622925, 0.7611908912658691,
                               0.4173787236213684, 0.8630585074424744, 0.28447332978248596], atol: 1e-5)
        expectValues(v.matmul(diagEmbed(w)).matmul(v.transpose(0, 1)), a.detach().toDoubles(), atol: 1e-5)
        (w * Tensor([1.0, 2.0, 3.0])).sum().backward()
        expectValues(a.grad!, [1.9306955337524414, 0.8565059304237366, -0.10112294554710388, 0.8565060496330261, 2.1625843048095703,
                               0.4860071539878845, -0.1011229157447815, 0.4860071539878845, 1.9067201614379883], atol: 1e-5)
        // w, V = torch.linalg.eigh(A); ((V[:, 0] ** 2) * torch.tensor([1., -1., 2.])).sum().backward(); A.grad (sign-free)
        let a2 = Self.spd()
        let v2 = linalg.eigh(a2).eigenvectors
        ((v2[.all, 0].pow(2)) * Tensor([1.0, -1.0, 2.0])).sum().backward()
        expectValues(a2.grad!, [0.623810887336731, -0.4824329912662506, -0.5334993600845337, -0.482433021068573, 0.3382940888404846,
                                0.6347660422325134, -0.5334993004798889, 0.6347660422325134, -0.9621054530143738], atol: 1e-5)
        expectValues(linalg.eigvalsh(a2.detach()), [2.372468948364258, 2.722508430480957, 6.905022144317627], atol: 1e-5)
    }

    @Test func svdAndWhatIsBuiltOnItMatchPyTorch() {
        // U, S, Vh = torch.linalg.svd(M, full_matrices=False); (S * torch.tensor([1., 2., 3.])).sum().backward(); M.grad
        let m = Self.tall()
        let (u, s, vh) = linalg.svd(m, fullMatrices: false)
        expectValues(s, [3.2316033840179443, 2.4595296382904053, 1.223705530166626], atol: 1e-5)
        expectValues(u.matmul(diagEmbed(s)).matmul(vh), m.detach().toDoubles(), atol: 1e-5)
        expectValues(u.transpose(0, 1).matmul(u), Tensor.eye(3).toDoubles(), atol: 1e-5)
        (s * Tensor([1.0, 2.0, 3.0])).sum().backward()
        expectValues(m.grad!, [-0.14172577857971191, 1.6713207960128784, 0.49365124106407166, -0.25078731775283813, 0.629461944103241, 1.2445769309997559,
                               1.8445168733596802, -1.446255087852478, 1.547817587852478, 1.0201765298843384, -0.05289900302886963, -0.040321528911590576], atol: 1e-5)
        // P = U[:, :2] @ torch.diag(S[:2]) @ Vh[:2]; (P * W1).sum().backward(); M.grad — and the same for M.T (a wide matrix)
        let rank2: [Double] = [-0.5468132495880127, -1.317086935043335, -0.3455585837364197, -0.32953715324401855, -0.39399638772010803, -0.012030551210045815,
                               0.16229012608528137, 0.41499099135398865, 0.48227375745773315, 0.599799394607544, 0.9050921201705933, 0.9727180600166321]
        for wide in [false, true] {
            let x = wide ? Self.tall().detach().transpose(0, 1).contiguous().requiresGrad_() : Self.tall()
            let (u2, s2, vh2) = linalg.svd(x, fullMatrices: false)
            let p = u2[.all, 0..<2].matmul(diagEmbed(s2[0..<2])).matmul(vh2[0..<2])
            (p * (wide ? Self.w1.transpose(0, 1) : Self.w1)).sum().backward()
            expectValues(wide ? x.grad!.transpose(0, 1) : x.grad!, rank2, atol: 1e-4)
        }
        // torch.linalg.pinv(M); matrix_rank([[1., 2.], [2., 4.]]), matrix_rank(M); slogdet([[1., 2.], [3., 4.]]); lstsq(M, B).solution
        expectValues(linalg.pinv(m.detach()), [-0.035998761653900146, -0.09074997156858444, 0.4978693127632141, 0.2983701229095459, 0.40246039628982544,
                                               0.10574720054864883, -0.41561564803123474, -0.002891138195991516, 0.05099371075630188, 0.2759600579738617,
                                               0.39634519815444946, -0.02623762935400009], shape: [3, 4], atol: 1e-5)
        #expect(linalg.matrixRank(Tensor([[1.0, 2.0], [2.0, 4.0]])).item() == 1)
        #expect(linalg.matrixRank(m.detach()).item() == 3)
        let (sign, logabs) = linalg.slogdet(Tensor([[1.0, 2.0], [3.0, 4.0]]))
        #expect(sign.item() == -1)
        expectValues(logabs, [0.6931471824645996], atol: 1e-6)
        expectValues(linalg.lstsq(m.detach(), Tensor([[1.0], [2.0], [0.5], [-1.0]])).solution, [-0.26693403720855713, 0.4090380072593689, 0.8273243308067322], atol: 1e-5)
    }

    @Test func gradientsAgreeWithFiniteDifferencesAndErrorsReadAsPyTorch() async {
        // float64 gradients against finite differences (the functions used are sign-free for eigh and svd)
        let g = r64(4, 4, seed: 3), spd = g.matmul(g.transpose(0, 1)) + Tensor.eye(4, dtype: .float64) * 2
        let sym = g + g.transpose(0, 1)
        gradCheck({ linalg.cholesky($0[0].tril() + $0[0].tril(-1).transpose(0, 1)) }, inputs: [spd], atol: 1e-5, rtol: 1e-5)
        gradCheck({ let (q, r) = linalg.qr($0[0]); return q.sum() + (r * r).sum() }, inputs: [r64(5, 3, seed: 4)], atol: 1e-5, rtol: 1e-5)
        gradCheck({ let (w, v) = linalg.eigh($0[0] + $0[0].transpose(0, 1)); return w.pow(2).sum() + v[.all, 1].pow(2)[0] }, inputs: [sym], atol: 1e-5, rtol: 1e-5)
        for shape in [[5, 3], [3, 5], [4, 4]] {
            gradCheck({ let (u, s, vh) = linalg.svd($0[0], fullMatrices: false)
                        return s.pow(3).sum() + u[.all, 0..<1].matmul(vh[0..<1]).pow(2).sum() },
                      inputs: [r64(shape[0], shape[1], seed: 5)], atol: 1e-5, rtol: 1e-5)
        }
        let notPD = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = linalg.cholesky(Tensor([[1.0, 2.0], [2.0, 1.0]]))
        }
        // PyTorch: torch.linalg.cholesky(torch.tensor([[1., 2.], [2., 1.]]))
        #expect(stderr(notPD).contains("linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order 2 is not positive-definite)."))
    }
}
}

/// A vector's diagonal matrix.
private func diagEmbed(_ v: Tensor) -> Tensor { v.diag() }
