import Foundation
import Testing
@_spi(Testing) import Descent

// ImageFolder and the image decoders, against torchvision 0.28's ImageFolder and PIL 13 reading the same
// files (Fixtures/images/make-image-fixtures.py). Each image is checked by its shape, the sum of its
// values and a position-weighted sum (the (C, H, W) values flattened, value * (index % 251)), from:
//   a = np.array(Image.open(p).convert(mode)); chw = a.reshape(H, W, -1).transpose(2, 0, 1).reshape(-1)
//   chw.sum(), (chw * (np.arange(chw.size) % 251)).sum()

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/images").path

/// (shape, sum, weighted sum) of a uint8 image tensor.
private func signature(_ t: Tensor) -> ([Int], Int, Int) {
    let v = ints(t.to(dtype: .int64).reshape([-1]))
    return (t.shape, v.reduce(0, +), v.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 251) })
}

extension Core {
@Suite struct ImageFolderTests {
    @Test func imageFolderListsAndLoadsAsTorchvision() throws {
        // ds = datasets.ImageFolder("folder"); ds.classes, ds.class_to_idx, ds.samples
        let ds = try ImageFolder(root: fixtures + "/folder", transform: Lambda { $0 })
        #expect(ds.classes == ["ants", "bees"] && ds.classToIdx == ["ants": 0, "bees": 1])
        let expected: [(String, Int, [Int], Int, Int)] = [   // np.array(Image.open(p).convert("RGB")) as (3, H, W)
            ("ants/a-rgb.png", 0, [3, 4, 5], 7668, 225713), ("ants/c-rgba.png", 0, [3, 3, 6], 6337, 169857),
            ("ants/nest/b-interlaced.PNG", 0, [3, 7, 9], 24403, 2275193), ("bees/d-gray.png", 1, [3, 5, 3], 5229, 112683),
            ("bees/e-1bit.png", 1, [3, 6, 11], 24480, 2378385), ("bees/f-palette.png", 1, [3, 4, 7], 6495, 223425),
            ("bees/g-gray-alpha.png", 1, [3, 3, 4], 4563, 77307), ("bees/h-gray16.png", 1, [3, 4, 4], 12240, 287640),
            ("bees/i.ppm", 1, [3, 3, 4], 4423, 71100), ("bees/j.pgm", 1, [3, 2, 5], 3858, 56034),
        ]
        #expect(ds.count == expected.count && ds.targets == expected.map(\.1))
        for (i, e) in expected.enumerated() {
            #expect(ds.samples[i].0 == fixtures + "/folder/" + e.0 && ds.imgs[i].1 == e.1)
            let (img, target) = ds[i]
            #expect(img.dtype == .uint8 && target == e.1)
            let (shape, sum, weighted) = signature(img)
            #expect(shape == e.2 && sum == e.3 && weighted == e.4, "\(e.0): \(shape) \(sum) \(weighted)")
        }
        #expect("\(ds)" == "Dataset ImageFolder\n    Number of datapoints: 10\n    Root location: \(fixtures)/folder")
        // without a transform, ToTensor; a DataLoader batches equal-sized images
        let plain = try ImageFolder(root: fixtures + "/folder", targetTransform: { $0 + 10 })
        #expect(plain[0].0.dtype == .float32 && plain[0].1 == 10)
        let resized = try ImageFolder(root: fixtures + "/folder", transform: Compose([Resize((8, 8)), ToTensor()]))
        let (x, y) = resized.batch([0, 5, 9])
        #expect(x.shape == [3, 3, 8, 8] && ints(y) == [0, 1, 1])
    }

    @Test func readImageKeepsOrConvertsChannelsAsPIL() throws {
        // np.array(Image.open(p).convert(m)): RGBA, a palette with tRNS as RGBA, LA, L; and RGB / RGBA to L (ITU-R 601-2)
        let cases: [(String, ImageReadMode, [Int], Int, Int)] = [
            ("ants/c-rgba.png", .unchanged, [4, 3, 6], 8612, 312687), ("bees/f-palette.png", .unchanged, [4, 4, 7], 10962, 663983),
            ("bees/g-gray-alpha.png", .unchanged, [2, 3, 4], 3042, 33286), ("bees/d-gray.png", .unchanged, [1, 5, 3], 1743, 11416),
            ("ants/a-rgb.png", .gray, [1, 4, 5], 2740, 25014), ("ants/c-rgba.png", .gray, [1, 3, 6], 2114, 17490),
            ("bees/f-palette.png", .rgbAlpha, [4, 4, 7], 10962, 663983),
        ]
        for c in cases {
            let (shape, sum, weighted) = signature(try readImage(fixtures + "/folder/" + c.0, mode: c.1))
            #expect(shape == c.2 && sum == c.3 && weighted == c.4, "\(c.0) \(c.1): \(shape) \(sum) \(weighted)")
        }
    }

    @Test func jpegDecodesAsPIL() throws {
        // libjpeg-turbo's libjpeg.so.62 (Debian's libjpeg62-turbo, which .ci/run installs): the library PIL decodes with
        guard libjpegAvailable else {
            if ProcessInfo.processInfo.environment["DESCENT_REQUIRE_LIBJPEG"] != nil { Issue.record("libjpeg.so.62 could not be loaded") }
            else { print("jpegDecodesAsPIL: skipped, libjpeg.so.62 is not installed (apt-get install libjpeg62-turbo)") }
            return
        }
        // np.array(Image.open(p)) and np.array(Image.open(p).convert("RGB")), as (C, H, W) signatures
        let cases: [(String, ImageReadMode, [Int], Int, Int)] = [
            ("baseline-420.jpg", .unchanged, [3, 37, 53], 673487, 83076157), ("full-444.jpg", .unchanged, [3, 37, 53], 673098, 83010150),
            ("progressive.jpg", .unchanged, [3, 37, 53], 673169, 83020568), ("gray.jpg", .unchanged, [1, 37, 53], 203944, 25066340),
            ("gray.jpg", .rgb, [3, 37, 53], 611832, 75767999),
        ]
        for c in cases {
            let (shape, sum, weighted) = signature(try readImage(fixtures + "/jpeg/" + c.0, mode: c.1))
            #expect(shape == c.2 && sum == c.3 && weighted == c.4, "\(c.0) \(c.1): \(shape) \(sum) \(weighted)")
        }
        // PIL: OSError: image file is truncated; CMYK files are refused; any cut or garbage is an error, never a crash
        for (file, words) in [("truncated.jpg", "truncated"), ("cmyk.jpg", "CMYK")] {
            do { _ = try readImage(fixtures + "/jpeg/" + file); Issue.record("\(file) was decoded") } catch let e as DatasetError {
                #expect("\(e)".contains(words), "\(e)")
            }
        }
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/jpeg/progressive.jpg")))
        for n in stride(from: 0, to: good.count, by: 5) {
            #expect(throws: DatasetError.self, "cut at \(n)") { try decodeImage(Array(good.prefix(n))) }
        }
        for i in stride(from: 2, to: 300, by: 3) {
            var b = good
            b[i] = 0xFF
            _ = try? decodeImage(b)   // libjpeg decodes some damage, as PIL does; it must not crash
        }
    }

    @Test func netpbmScalesAsPIL() throws {
        // PIL's PpmDecoder: min(out_max, round(v / maxval * out_max)); np.array(Image.open(p).convert("RGB"))[0, 0]
        // P5 maxval 100, v=1 -> 3; P6 maxval 1000, (1000, 1, 256) -> (255, 0, 65); P5 maxval 65535 (mode I), (256, 128) -> (255, 128)
        let p5 = Array("P5 1 1 100\n".utf8) + [1]
        #expect(ints(try decodeImage(p5, mode: .rgb).to(dtype: .int64)) == [3, 3, 3])
        let p6 = Array("P6 1 1 1000\n".utf8) + [0x03, 0xE8, 0x00, 0x01, 0x01, 0x00]
        #expect(ints(try decodeImage(p6).to(dtype: .int64)) == [255, 0, 65])
        let p5wide = Array("P5 2 1 65535\n".utf8) + [0x01, 0x00, 0x00, 0x80]
        #expect(ints(try decodeImage(p5wide).to(dtype: .int64)) == [255, 128])
    }

    @Test func readsWhatSaveImageWrites() throws {
        // save_image's PNG (RGB from a float image in [0, 1], as torchvision's: x * 255 + 0.5, clamped, truncated)
        manualSeed(0)
        let x = Tensor.rand([3, 5, 7])
        let path = NSTemporaryDirectory() + "descent-readback-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try saveImage(x, path)
        let back = try readImage(path, mode: .rgb)   // it writes RGBA, opaque
        #expect(back.shape == [3, 5, 7] && back.dtype == .uint8)
        #expect(ints(back.to(dtype: .int64)) == ints((x * 255 + 0.5).clamp(min: 0, max: 255).to(dtype: .uint8).to(dtype: .int64)))
    }

    @Test func emptyClassesAndBadFilesThrow() throws {
        // datasets.ImageFolder("empty"): FileNotFoundError: Found no valid file for the classes dogs. Supported extensions are: .jpg, ...
        do {
            _ = try ImageFolder(root: fixtures + "/empty")
            Issue.record("an empty class was accepted")
        } catch let e as DatasetError {
            #expect("\(e)".contains("Found no valid file for the classes dogs. Supported extensions are: .jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp"))
        }
        #expect(try ImageFolder(root: fixtures + "/empty", allowEmpty: true).count == 1)
        // is_valid_file instead of extensions: ants has no .pgm, so it is an empty class
        #expect(throws: DatasetError.self) { try ImageFolder(root: fixtures + "/folder", isValidFile: { $0.hasSuffix(".pgm") }) }
        #expect(try ImageFolder(root: fixtures + "/folder", isValidFile: { $0.hasSuffix(".pgm") }, allowEmpty: true).targets == [1])
        #expect(throws: DatasetError.self) { try ImageFolder(root: fixtures + "/folder/ants/a-rgb.png") }   // not a folder
        // damaged PNGs: cut anywhere, or a flipped byte (each chunk's CRC), throw
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixtures + "/folder/ants/nest/b-interlaced.PNG")))
        for n in 0..<good.count {
            #expect(throws: DatasetError.self, "cut at \(n)") { try decodeImage(Array(good.prefix(n))) }
        }
        for i in stride(from: 8, to: good.count, by: 7) {
            var b = good
            b[i] ^= 0x04
            #expect(throws: DatasetError.self, "byte \(i) flipped") { try decodeImage(b) }
        }
        // a format Descent does not decode is named, not misread
        do { _ = try decodeImage(Array("BM".utf8) + [0, 0, 0, 0], path: "x.bmp"); Issue.record("a BMP was accepted") } catch let e as DatasetError {
            #expect("\(e)".contains("a BMP image"))
        }
    }
}
}
