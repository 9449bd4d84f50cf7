//===- LibraryFile.cpp - checks a file before dlopen runs it --------------===//

#include "LibraryFile.h"

#include "cnnrt/Error.h"
#include "cnnrt/Library.h"

#include <cstring>
#include <elf.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

namespace cnnrt::detail {

LibraryFile checkLibraryFile(const std::string &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, not a cnnc library");
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path + ": not a regular file, not a cnnc library");
  uint64_t size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in)
    throw Error(path + ": cannot open");
  auto read = [&](uint64_t offset, void *dst, uint64_t bytes) {
    if (offset > size || bytes > size - offset)
      return false;
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char *>(dst), static_cast<std::streamsize>(bytes));
    return bool(in);
  };
  auto damaged = [&](const std::string &what) {
    return Error(path + ": damaged or truncated library (" + what + ")");
  };
  char magic[4] = {0, 0, 0, 0};
  if (!read(0, magic, 4) || std::memcmp(magic, ELFMAG, SELFMAG) != 0)
    throw Error(path + ": not a cnnc library (not an ELF shared object)");
  Elf64_Ehdr eh;
  if (!read(0, &eh, sizeof eh))
    throw damaged("the ELF header is cut short");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    throw Error(path + ": not a library for this machine (not a 64-bit little-endian ELF file)");
  if (eh.e_type != ET_DYN)
    throw Error(path + ": not a cnnc library (an ELF file, but not a shared object)");
  if (eh.e_machine != EM_X86_64)
    throw Error(path + ": built for another machine (ELF machine " +
                std::to_string(eh.e_machine) +
                (eh.e_machine == EM_AARCH64 ? ", aarch64" : "") +
                "); this runtime loads x86-64 libraries");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
    throw damaged("no valid program headers");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read(eh.e_phoff + uint64_t(i) * sizeof ph, &ph, sizeof ph))
      throw damaged("program header " + std::to_string(i) + " is past the end of the file");
    if (ph.p_type == PT_LOAD && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset))
      throw damaged("segment " + std::to_string(i) + " ends past the end of the file, " +
                    std::to_string(size) + " bytes");
  }
  // The dynamic symbol table (what dlsym searches).
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0)
    throw Error(path + ": not a cnnc library (no section headers)");
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!read(eh.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr)))
    throw damaged("the section headers are past the end of the file");
  auto sectionBytes = [&](const Elf64_Shdr &sh, uint64_t maxBytes) {
    if (sh.sh_type == SHT_NOBITS || sh.sh_size > maxBytes)
      throw damaged("an unreadable section");
    std::vector<char> bytes(sh.sh_size);
    if (!read(sh.sh_offset, bytes.data(), bytes.size()))
      throw damaged("a section is past the end of the file");
    return bytes;
  };
  const Elf64_Shdr *dynsym = nullptr;
  for (const auto &sh : sections)
    if (sh.sh_type == SHT_DYNSYM)
      dynsym = &sh;
  if (!dynsym || dynsym->sh_link >= sections.size())
    throw Error(path + ": not a cnnc library (no dynamic symbols)");
  constexpr uint64_t kMaxTable = uint64_t(64) << 20;
  std::vector<char> syms = sectionBytes(*dynsym, kMaxTable);
  std::vector<char> names = sectionBytes(sections[dynsym->sh_link], kMaxTable);
  auto symbolName = [&](uint32_t offset) {
    if (offset >= names.size())
      return std::string();
    const char *begin = names.data() + offset;
    return std::string(begin, strnlen(begin, names.size() - offset));
  };
  std::optional<Elf64_Sym> abi, meta, weights;
  for (size_t i = 0; i + sizeof(Elf64_Sym) <= syms.size(); i += sizeof(Elf64_Sym)) {
    Elf64_Sym sym;
    std::memcpy(&sym, syms.data() + i, sizeof sym);
    if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= sections.size())
      continue;
    std::string name = symbolName(sym.st_name);
    if (name == "cnnc_abi_version")
      abi = sym;
    else if (name == "cnnc_metadata")
      meta = sym;
    else if (name == "cnnc_weights")
      weights = sym;
  }
  if (!abi || !meta)
    throw Error(path + ": not a cnnc library (no cnnc_abi_version/cnnc_metadata symbols)");
  // The bytes of a symbol, from the section that holds it.
  auto symbolBytes = [&](const Elf64_Sym &sym, uint64_t bytes, const char *what) {
    const Elf64_Shdr &sh = sections[sym.st_shndx];
    if (sh.sh_type == SHT_NOBITS || sym.st_value < sh.sh_addr ||
        sym.st_value - sh.sh_addr > sh.sh_size || bytes > sh.sh_size - (sym.st_value - sh.sh_addr))
      throw damaged(std::string(what) + " lies outside its section");
    std::vector<char> out(bytes);
    if (!read(sh.sh_offset + (sym.st_value - sh.sh_addr), out.data(), bytes))
      throw damaged(std::string(what) + " is past the end of the file");
    return out;
  };
  uint32_t version;
  std::vector<char> v = symbolBytes(*abi, sizeof version, "cnnc_abi_version");
  std::memcpy(&version, v.data(), sizeof version);
  if (version != kAbiVersion)
    throw Error(path + ": cnnc ABI version " + std::to_string(version) +
                ", but this runtime reads version " + std::to_string(kAbiVersion) +
                "; recompile the model with a matching cnnc");
  if (meta->st_size == 0 || meta->st_size > kMaxTable)
    throw damaged("cnnc_metadata has no size");
  std::vector<char> text = symbolBytes(*meta, meta->st_size, "cnnc_metadata");
  if (std::memchr(text.data(), 0, text.size()) == nullptr)
    throw damaged("cnnc_metadata is not NUL-terminated");
  LibraryFile lib;
  lib.metadataBytes = meta->st_size;
  lib.weightsBytes = weights ? weights->st_size : 0;
  return lib;
}

} // namespace cnnrt::detail
