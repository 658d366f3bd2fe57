import Testing
import Descent

// Attention and transformer modules against PyTorch 2.13: seeded initialisation (MultiheadAttention's
// out_proj first, then the Xavier in-projection), outputs and gradients with causal, padding and
// boolean masks, scaled_dot_product_attention (flash-path formula, math path with dropout, fully
// masked rows), a two-layer TransformerEncoder trained five Adam steps with dropout (same random
// draws in the same order), nn.Transformer's Xavier re-initialisation, and the nested-tensor
// inference path's zeros at padded positions. Expected values printed by (L(t) lists t's floats):
//   torch.manual_seed(0)
//   mha = nn.MultiheadAttention(8, 2)
//   print("IPW", L(mha.in_proj_weight.flatten()[:6]))
//   print("OPW", L(mha.out_proj.weight.flatten()[:4]))
//   x = torch.randn(5, 3, 8)
//   mask = nn.Transformer.generate_square_subsequent_mask(5)
//   o, w = mha(x, x, x, attn_mask=mask)
//   print("O_LAST", L(o[-1]))
//   print("W1", L(w[1]))
//   kpm = torch.tensor([[False]*5, [False]*3 + [True]*2, [False]*4 + [True]])
//   o, w = mha(x, x, x, key_padding_mask=kpm, average_attn_weights=False)
//   print("OK2", L(o[2])); print("WK10", L(w[1, 0]))
//   xg = x.clone().requires_grad_()
//   o, _ = mha(xg, xg, xg, attn_mask=mask, is_causal=True, need_weights=False)
//   (o * torch.linspace(-1, 1, o.numel()).reshape(o.shape)).sum().backward()
//   print("OC3", L(o[3])); print("XG0", L(xg.grad[0])); print("GIPW", L(mha.in_proj_weight.grad[::5, 0])); print("GOPB", L(mha.out_proj.bias.grad))
//   torch.manual_seed(1)
//   q = torch.randn(2, 2, 4, 8); k = torch.randn(2, 2, 6, 8); v = torch.randn(2, 2, 6, 3)
//   bm = torch.rand(4, 6) > 0.3
//   bm[2] = False
//   print("BM", [int(b) for b in bm.flatten().tolist()])
//   qq = q.clone().requires_grad_(); kk = k.clone().requires_grad_(); vv = v.clone().requires_grad_()
//   a = F.scaled_dot_product_attention(qq, kk, vv, attn_mask=bm)
//   print("SDPA_M", L(a[0, 1])); (a ** 2).sum().backward()
//   print("QG", L(qq.grad[0, 0])); print("KG", L(kk.grad[1, 1])); print("VG", L(vv.grad[0, 1]))
//   print("SDPA_C", L(F.scaled_dot_product_attention(q[0], k[0], v[0], is_causal=True, scale=0.5)[1]))
//   torch.manual_seed(5)
//   print("SDPA_D", L(F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)[0, 0]))
//   torch.manual_seed(2)
//   layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
//   enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
//   src = torch.randn(6, 4, 8)
//   head = nn.Linear(8, 1)
//   opt = torch.optim.Adam(list(enc.parameters()) + list(head.parameters()), lr=0.01)
//   target = torch.randn(6, 4, 1)
//   losses = []
//   for step in range(5):
//       loss = F.mse_loss(head(enc(src)), target)
//       opt.zero_grad(); loss.backward(); opt.step(); losses.append(loss)
//   print("LOSSES", L(torch.stack(losses)))
//   enc.eval()
//   with torch.no_grad(): print("EVAL00", L(enc(src)[0, 0]))
//   torch.manual_seed(4)
//   tr = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=16, dropout=0.1)
//   print("TRSUM", repr(sum(p.double().sum().item() for p in tr.parameters())))
//   src = torch.randn(7, 2, 8); tgt = torch.randn(5, 2, 8)
//   out = tr(src, tgt, tgt_mask=tr.generate_square_subsequent_mask(5))
//   print("TR4", L(out[4]))
//   (out * torch.arange(8.)).sum().backward()
//   print("TRG", L(tr.decoder.layers[1].multihead_attn.in_proj_weight.grad[16]))
//   torch.manual_seed(6)
//   el = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
//   enc2 = nn.TransformerEncoder(el, 2, norm=nn.LayerNorm(8)).eval()
//   with torch.no_grad(): enc2.norm.bias.fill_(0.25)
//   src = torch.randn(2, 4, 8)
//   pad = torch.tensor([[False, False, False, True], [False, False, False, False]])
//   with torch.no_grad():
//       r = enc2(src, src_key_padding_mask=pad)
//   print("NEST03", L(r[0, 3])); print("NEST02", L(r[0, 2])); print("NEST13", L(r[1, 3]))
//   r2 = enc2(src, src_key_padding_mask=pad)
//   print("NONEST03", L(r2[0, 3]))

extension Core {
@Suite struct AttentionTests {
    @Test func multiheadAttentionMatchesPyTorch() {
        manualSeed(0)
        let mha = MultiheadAttention(8, 2)
        #expect(mha.namedParameters().map(\.0) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
        #expect(mha.description == "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)")
        expectValues(mha.inProjWeight!.flatten()[0..<6], IPW, atol: 0, rtol: 0)
        expectValues(mha.outProj.weight.flatten()[0..<4], OPW, atol: 0, rtol: 0)
        #expect(mha.inProjBias!.abs().sum().item() == 0 && mha.outProj.bias!.abs().sum().item() == 0)
        let x = Tensor.randn(5, 3, 8)
        let mask = Transformer.generateSquareSubsequentMask(5)
        var (o, w) = mha(x, x, x, attnMask: mask)
        expectValues(o[-1], O_LAST)
        expectValues(w![1], W1)
        let kpm = Tensor([[false, false, false, false, false], [false, false, false, true, true], [false, false, false, false, true]])
        (o, w) = mha(x, x, x, keyPaddingMask: kpm, averageAttnWeights: false)
        #expect(w!.shape == [3, 2, 5, 5])
        expectValues(o[2], OK2)
        expectValues(w![1, 0], WK10)
        let xg = x.clone().requiresGrad_()
        let (oc, none) = mha(xg, xg, xg, needWeights: false, attnMask: mask, isCausal: true)
        #expect(none == nil)
        (oc * Tensor.linspace(-1, 1, count: oc.count).reshape(oc.shape)).sum().backward()
        expectValues(oc[3], OC3)
        expectValues(xg.grad![0], XG0, atol: 1e-5)
        expectValues(mha.inProjWeight!.grad![.stride(by: 5), 0], GIPW, atol: 1e-5)
        expectValues(mha.outProj.bias!.grad!, GOPB, atol: 1e-5)
    }

    @Test func scaledDotProductAttentionMatchesPyTorch() {
        manualSeed(1)
        let q = Tensor.randn(2, 2, 4, 8), k = Tensor.randn(2, 2, 6, 8), v = Tensor.randn(2, 2, 6, 3)
        let bm = Tensor.rand(4, 6) .> 0.3
        bm[2] = Tensor(false)
        #expect(values(bm.to(dtype: .int64)) == [1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0])
        let qq = q.clone().requiresGrad_(), kk = k.clone().requiresGrad_(), vv = v.clone().requiresGrad_()
        let a = scaledDotProductAttention(qq, kk, vv, attnMask: bm)
        expectValues(a[0, 1], SDPA_M)   // row 2 has every key masked: zeros
        a.pow(2).sum().backward()
        expectValues(qq.grad![0, 0], QG, atol: 1e-5)
        expectValues(kk.grad![1, 1], KG, atol: 1e-5)
        expectValues(vv.grad![0, 1], VG, atol: 1e-5)
        expectValues(scaledDotProductAttention(q[0], k[0], v[0], isCausal: true, scale: 0.5)[1], SDPA_C)
        manualSeed(5)
        expectValues(scaledDotProductAttention(q, k, v, dropoutP: 0.3)[0, 0], SDPA_D)
    }

    @Test func transformerEncoderTrainsAsPyTorch() {
        manualSeed(2)
        let layer = TransformerEncoderLayer(8, 2, dimFeedforward: 16)
        let enc = TransformerEncoder(layer, 2, enableNestedTensor: false)
        let l0 = enc.layers[0] as! TransformerEncoderLayer, l1 = enc.layers[1] as! TransformerEncoderLayer
        #expect(l0 !== layer && l0.linear1.weight.equal(l1.linear1.weight) && l1.selfAttn.inProjWeight!.equal(layer.selfAttn.inProjWeight!))
        #expect(enc.namedParameters().count == 24 && enc.namedParameters()[12].0 == "layers.1.self_attn.in_proj_weight")
        let src = Tensor.randn(6, 4, 8)   // the copies drew nothing: this is PyTorch's next draw
        let head = Linear(8, 1)
        let opt = Adam(enc.parameters() + head.parameters(), lr: 0.01)
        let target = Tensor.randn(6, 4, 1)
        var losses: [Double] = []
        for _ in 0..<5 {
            let loss = mseLoss(head(enc(src)), target)
            opt.zeroGrad(); loss.backward(); opt.step()
            losses.append(loss.item())
        }
        expectValues(Tensor(losses), LOSSES, atol: 1e-5)
        enc.eval()
        noGrad { expectValues(enc(src)[0, 0], EVAL00, atol: 1e-5) }
    }

    @Test func transformerMatchesPyTorch() {
        manualSeed(4)
        let tr = Transformer(dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 16, dropout: 0.1)
        #expect(tr.parameters().count == 52)
        #expect(abs(tr.parameters().map { $0.to(dtype: .float64).sum().item() }.reduce(0, +) - 91.63861417520093) < 1e-9)
        let src = Tensor.randn(7, 2, 8), tgt = Tensor.randn(5, 2, 8)
        let out = tr(src, tgt, tgtMask: Transformer.generateSquareSubsequentMask(5))
        expectValues(out[4], TR4, atol: 1e-5)
        (out * Tensor.arange(8.0)).sum().backward()
        let dec = (tr.decoder as! TransformerDecoder).layers[1] as! TransformerDecoderLayer
        expectValues(dec.multiheadAttn.inProjWeight!.grad![16], TRG, atol: 1e-4)
        #expect(Transformer.generateSquareSubsequentMask(3).description == "tensor([[0., -inf, -inf],\n        [0., 0., -inf],\n        [0., 0., 0.]])")
    }

    /// A batch-first layer's attention output is a transposed view, and PyTorch's dropout draws its
    /// mask in that view's memory order.
    ///   torch.manual_seed(0); F.dropout(torch.arange(1., 13.).reshape(3, 4).t(), 0.5).flatten()
    ///   torch.manual_seed(7); layer = nn.TransformerEncoderLayer(32, 4, 128, 0.1, batch_first=True,
    ///   norm_first=True, activation='gelu'); x = torch.randn(8, 16, 32); torch.manual_seed(3)
    ///   y = layer(x, src_mask=nn.Transformer.generate_square_subsequent_mask(16), is_causal=True); y.abs().sum(), y[0, 0, :4]
    @Test func batchFirstDropoutDrawsAsPyTorch() {
        manualSeed(0)
        expectValues(dropout(Tensor.arange(1.0, 13.0).reshape(3, 4).t(), p: 0.5).flatten(),
                     [0.0, 0.0, 0.0, 0.0, 0.0, 20.0, 6.0, 14.0, 22.0, 0.0, 16.0, 24.0], atol: 0, rtol: 0)
        manualSeed(7)
        let layer = TransformerEncoderLayer(32, 4, dimFeedforward: 128, dropout: 0.1, activation: "gelu", batchFirst: true, normFirst: true)
        let x = Tensor.randn(8, 16, 32)
        manualSeed(3)
        let y = layer(x, srcMask: Transformer.generateSquareSubsequentMask(16), isCausal: true)
        #expect(abs(y.abs().sum().item() - 3384.59619140625) < 2e-3)
        expectValues(y[0, 0, ..<4], [-0.9505292177200317, 1.32439124584198, -1.4865998029708862, 0.30517467856407166], atol: 1e-5)
    }

    @Test func encoderInferenceZeroesPaddedPositionsAsPyTorch() {
        manualSeed(6)
        let el = TransformerEncoderLayer(8, 2, dimFeedforward: 16, batchFirst: true)
        let enc = TransformerEncoder(el, 2, norm: LayerNorm(8)).eval()
        noGrad { _ = (enc.norm as! LayerNorm).bias!.fill_(0.25) }
        let src = Tensor.randn(2, 4, 8)
        let pad = Tensor([[false, false, false, true], [false, false, false, false]])
        let r = noGrad { enc(src, srcKeyPaddingMask: pad) }
        expectValues(r[0, 3], NEST03, atol: 0, rtol: 0)   // zeros, then the final norm: its bias
        expectValues(r[0, 2], NEST02, atol: 1e-5)
        expectValues(r[1, 3], NEST13, atol: 1e-5)
        expectValues(enc(src, srcKeyPaddingMask: pad)[0, 3], NONEST03, atol: 1e-5)   // with gradients: no nested path
    }
}
}

private let IPW = [0.17017827928066254, 0.3587723970413208, 0.37681081891059875, 0.38207167387008667, 0.0861758217215538, -0.37654033303260803]
private let OPW = [-0.0026469905860722065, 0.18966144323349, -0.2909903824329376, -0.26019373536109924]
private let O_LAST = [0.022742468863725662, 0.01080520823597908, -0.14726799726486206, 0.17242571711540222, 0.35350731015205383, 0.19330540299415588, 0.06424422562122345, -0.075437530875206, 0.06944643706083298, -0.00788763165473938, 0.003787584602832794, 0.07910612225532532, 0.3020845651626587, 0.050302475690841675, 0.013844117522239685, 0.03065575659275055, -0.019293390214443207, -0.2642544209957123, 0.26873403787612915, -0.179688960313797, 0.004718557000160217, -0.37474870681762695, 0.10810863971710205, 0.14196890592575073]
private let W1 = [1.0, 0.0, 0.0, 0.0, 0.0, 0.577208399772644, 0.42279160022735596, 0.0, 0.0, 0.0, 0.30384498834609985, 0.30938291549682617, 0.386772096157074, 0.0, 0.0, 0.21017387509346008, 0.2605142891407013, 0.275088369846344, 0.2542235255241394, 0.0, 0.2753329873085022, 0.16361793875694275, 0.10435095429420471, 0.18942809104919434, 0.267270028591156]
private let OK2 = [-0.3397464156150818, -0.1100701242685318, -0.38657116889953613, 0.5345039367675781, -0.1572408676147461, 0.29409027099609375, 0.2720531225204468, -0.3455064594745636, -0.07265594601631165, 0.08176971226930618, -0.1703273057937622, 0.1312617063522339, 0.018764670938253403, 0.08144672214984894, 0.032137781381607056, -0.058182619512081146, 0.1027398556470871, 0.07236890494823456, 0.2455170750617981, 0.023355185985565186, -0.18828319013118744, -0.21243378520011902, -0.22677163779735565, 0.18855969607830048]
private let WK10 = [0.34067460894584656, 0.3366558849811554, 0.32266953587532043, 0.0, 0.0, 0.4013901352882385, 0.26249006390571594, 0.3361198604106903, 0.0, 0.0, 0.2269795536994934, 0.33158639073371887, 0.44143402576446533, 0.0, 0.0, 0.2589888572692871, 0.35038748383522034, 0.39062368869781494, 0.0, 0.0, 0.6298172473907471, 0.21466949582099915, 0.15551318228244781, 0.0, 0.0]
private let OC3 = [-0.5418825149536133, -0.19401350617408752, -0.5700898766517639, 0.2887575328350067, -0.2535051107406616, 0.2356433868408203, 0.513391375541687, -0.5190150141716003, -0.004834896884858608, 0.05232034623622894, -0.10830305516719818, 0.13225559890270233, 0.17720162868499756, 0.12796825170516968, 0.04362242668867111, -0.06251265853643417, 0.07813296467065811, 0.010396160185337067, 0.16989025473594666, 0.060010481625795364, -0.12334658950567245, -0.12122618407011032, -0.07748711109161377, 0.06807875633239746]
private let XG0 = [-0.26446762681007385, 0.23379281163215637, 0.36586421728134155, -0.49569621682167053, 0.38715964555740356, -0.05163273215293884, -0.2296617031097412, 0.5394425392150879, -0.10923036932945251, 0.14634516835212708, 0.20806564390659332, -0.2371656596660614, 0.13485103845596313, -0.11880245804786682, -0.35027357935905457, 0.2959689795970917, -0.024346202611923218, 0.11052897572517395, 0.244814932346344, -0.19000199437141418, 0.2131439596414566, -0.12882496416568756, -0.28381770849227905, 0.18422526121139526]
private let GIPW = [-0.25236088037490845, -0.29966673254966736, -0.34154272079467773, 0.03341274335980415, 0.7651036381721497]
private let GOPB = [-0.8823530673980713, -0.6302521228790283, -0.3781513571739197, -0.12605053186416626, 0.1260501742362976, 0.3781510591506958, 0.6302518844604492, 0.882352888584137]
private let SDPA_M = [0.027125284075737, -0.2615164518356323, -0.4056589901447296, 0.6748201251029968, 0.4430064558982849, -1.2546064853668213, 0.0, 0.0, 0.0, 0.35461288690567017, 0.4611642062664032, 1.2765053510665894]
private let QG = [-0.17713364958763123, -0.002358161611482501, 0.038351792842149734, -0.04273584485054016, 0.15080159902572632, 0.14200332760810852, 0.06886130571365356, -0.09852562099695206, 0.5338712334632874, 0.5480941534042358, -0.03701994940638542, 0.059795960783958435, -0.21734397113323212, 0.19615793228149414, -0.5879734754562378, 1.0081650018692017, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.01867789775133133, 0.10488966852426529, -0.13399331271648407, -0.18277201056480408, -0.11074625700712204, -0.04492003470659256, 0.07432311773300171, 0.08350636065006256]
private let KG = [-0.1907554417848587, -0.09562522917985916, -0.018610196188092232, 0.017080193385481834, 0.1827765852212906, 0.059192921966314316, 0.17169657349586487, 0.0634908452630043, -0.772351861000061, -0.4590721130371094, -0.04688960313796997, 0.19061052799224854, 0.9175249338150024, 0.42096981406211853, 0.8791019320487976, 0.4498143494129181, -0.09060190618038177, -0.10580795258283615, -0.07434076070785522, 0.06134587898850441, -0.1029599979519844, 0.05298518016934395, 0.0834275409579277, -0.10547571629285812, -0.21027038991451263, 0.30573558807373047, 0.23754927515983582, -0.4461154043674469, 0.7814165949821472, -0.37183862924575806, -0.14421890676021576, 0.3681507408618927, 0.33277609944343567, -0.06666476279497147, -0.025565829128026962, 0.2825409173965454, -0.31271666288375854, 0.27110835909843445, 0.04094548523426056, 0.014491376467049122, 0.9312033653259277, 0.4214344024658203, -0.07214289903640747, -0.10546218603849411, -1.4660413265228271, -0.43241769075393677, -1.0309525728225708, -0.7904715538024902]
private let VG = [0.16924671828746796, -0.0006288154982030392, -0.4317092299461365, 0.16890063881874084, -0.08719776570796967, -0.5659196972846985, 0.7092542052268982, 0.8407468199729919, 2.414703607559204, 0.18436136841773987, 0.06831824779510498, -0.4022246301174164, 0.011547168716788292, -0.10694131255149841, -0.16525089740753174, 0.8698064088821411, 0.5710111856460571, -1.6171194314956665]
private let SDPA_C = [-0.5661877393722534, 0.0006603985675610602, 0.7224587798118591, -0.2118106186389923, 0.07179947197437286, -0.7894026637077332, 0.013885300606489182, 0.14895376563072205, -1.2392586469650269, 0.3590700328350067, 0.4659114480018616, 1.2796095609664917]
private let SDPA_D = [-0.44396671652793884, 0.2122063934803009, 0.5667760372161865, 0.4918590784072876, -0.6493693590164185, -0.612160861492157, 0.1043681800365448, -0.2052919715642929, -0.1161254346370697, -0.10748031735420227, 0.26207250356674194, -0.21740387380123138]
private let LOSSES = [1.105741024017334, 0.9209222793579102, 0.7829205989837646, 0.6825959086418152, 0.6548038125038147]
private let EVAL00 = [0.5631306767463684, 1.7755460739135742, 0.7874783873558044, -0.9408807754516602, 0.26934143900871277, -0.7440781593322754, -0.705537736415863, -1.2325176000595093]
private let TR4 = [-1.6419274806976318, 0.24492147564888, -0.003597903298214078, 0.9244546294212341, -0.5820543169975281, 0.27392423152923584, 1.7463939189910889, -0.9621147513389587, -0.4165378212928772, -0.5888071656227112, 0.44305700063705444, -1.1658203601837158, -1.2665520906448364, 0.7069119215011597, 0.36814507842063904, 1.9196032285690308]
private let TRG = [0.944000244140625, -1.932974934577942, -1.333764672279358, -0.7720664143562317, 0.22743439674377441, -2.0384769439697266, 1.3226542472839355, 3.5831942558288574]
private let NEST03 = [0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]
private let NEST02 = [1.4785940647125244, -0.6292538046836853, -0.6113420128822327, 0.2619630694389343, 0.6070683002471924, 0.9058676958084106, -1.4703720808029175, 1.4574748277664185]
private let NEST13 = [-0.5011882185935974, -0.22909891605377197, 0.586878776550293, 2.219996929168701, -1.0261799097061157, 1.0243520736694336, 0.6022659540176392, -0.6770266890525818]
private let NONEST03 = [0.7231994271278381, -0.059224337339401245, -0.11647495627403259, -1.9455862045288086, 0.07573732733726501, 0.6172088384628296, 1.6064897775650024, 1.0986497402191162]
